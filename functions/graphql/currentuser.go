package main

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/redress-grm/redress/shared/auth"
	"github.com/redress-grm/redress/shared/grievance"
)

// currentUserBody is openIMIS core's answer to GET current_user: the
// client reads the user's rights from i_user.rights.
type currentUserBody struct {
	ID       string    `json:"id"`
	Username string    `json:"username"`
	IUser    iUserBody `json:"i_user"`
	TUser    any       `json:"t_user"`
}

type iUserBody struct {
	ID               string `json:"id"`
	Language         string `json:"language"`
	LastName         string `json:"last_name"`
	OtherNames       string `json:"other_names"`
	HealthFacilityID any    `json:"health_facility_id"`
	Rights           []int  `json:"rights"`
	HasPassword      bool   `json:"has_password"`
}

// currentUser answers GET /api/core/users/current_user/: 401 signed out
// (the client then shows its login page), else the user.
func (h *Handler) currentUser(ctx context.Context, ev events.APIGatewayV2HTTPRequest, reqID string) events.APIGatewayV2HTTPResponse {
	ctx, cfg, failed := h.principal(ctx, ev, reqID)
	if failed != nil {
		return *failed
	}
	p := grievance.PrincipalFrom(ctx)
	if p == nil {
		// Django REST framework's wording and shape for this case.
		return response(reqID, http.StatusUnauthorized, []byte(`{"detail":"Authentication credentials were not provided."}`))
	}
	body := currentUserBody{ID: p.ID, Username: p.Username, IUser: iUserBody{
		ID: p.ID, Language: "en", LastName: p.Username, Rights: auth.ClientRights(p, cfg), HasPassword: true,
	}}
	if h.People != nil {
		people, err := h.People.People(ctx, []string{p.ID})
		if err != nil {
			h.Log.WarnContext(ctx, "current_user: directory", "requestId", reqID, "err", err)
		} else if rec := people[p.ID]; rec != nil {
			body.IUser.LastName, body.IUser.OtherNames = rec.LastName, rec.FirstName
		}
	}
	b, _ := json.Marshal(body)
	return response(reqID, http.StatusOK, b)
}
