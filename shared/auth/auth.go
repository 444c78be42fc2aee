// Package auth turns the claims of a verified token into a grievance
// principal. API Gateway's JWT authorizer verifies tokens and hands the
// function their claims as strings; the local gateway does the same, so
// this package serves Cognito in AWS and dev tokens locally alike.
package auth

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/redress-grm/redress/shared/grievance"
)

// Claim names Redress reads.
const (
	ClaimSubject          = "sub"
	ClaimUsername         = "username"
	ClaimCognitoUsername  = "cognito:username"
	ClaimPreferredUser    = "preferred_username"
	ClaimGroups           = "cognito:groups"
	ClaimRights           = "custom:rights"
	DefaultRightsClaimEnv = "ALLOW_RIGHTS_CLAIM"
)

// Options say which claims are trusted.
type Options struct {
	// AdminGroup holds every right (default grievance.DefaultAdminGroup).
	AdminGroup string
	// AllowRightsClaim trusts explicit rights in the token. Only local
	// stages (and stacks that enable it on purpose) do: elsewhere rights
	// come from groups, which users cannot change themselves.
	AllowRightsClaim bool
}

// Principal returns the principal the claims describe, with the rights of
// its groups under cfg (role_rights), or nil when there is no subject (an
// anonymous request).
func Principal(claims map[string]string, cfg *grievance.Config, o Options) *grievance.Principal {
	sub := strings.TrimSpace(claims[ClaimSubject])
	if sub == "" {
		return nil
	}
	if id, err := grievance.CanonicalUUID("sub", sub); err == nil {
		sub = id
	}
	p := cfg.GroupPrincipal(sub, firstNonEmpty(claims[ClaimUsername], claims[ClaimCognitoUsername], claims[ClaimPreferredUser], sub),
		Groups(claims[ClaimGroups]), o.AdminGroup)
	if o.AllowRightsClaim {
		for _, r := range List(claims[ClaimRights]) {
			p.Rights[r] = true
		}
	}
	return p
}

// Groups parses the cognito:groups claim strictly, in the one form API
// Gateway renders it: "[a b]", names separated by single spaces, each
// taken literally. Cognito group names may hold quotes, brackets and
// commas but no spaces, so a name that merely contains the admin group's
// name ("GrievanceAdmin" in quotes, [GrievanceAdmin], GrievanceAdmin,x) is
// a different group. A claim without brackets is one name.
func Groups(v string) []string {
	if len(v) >= 2 && v[0] == '[' && v[len(v)-1] == ']' {
		var out []string
		for _, g := range strings.Split(v[1:len(v)-1], " ") {
			if g != "" {
				out = append(out, g)
			}
		}
		return out
	}
	if v == "" {
		return nil
	}
	return []string{v}
}

// List parses a list claim in the forms it reaches a function: API
// Gateway renders JSON arrays as "[a b]"; tokens may also carry a JSON
// array text or a comma-separated string.
func List(v string) []string {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	if strings.HasPrefix(v, "[") {
		var arr []any
		if json.Unmarshal([]byte(v), &arr) == nil {
			out := make([]string, 0, len(arr))
			for _, x := range arr {
				if s := strings.TrimSpace(jsonString(x)); s != "" {
					out = append(out, s)
				}
			}
			return out
		}
		v = strings.TrimSuffix(strings.TrimPrefix(v, "["), "]")
		return strings.Fields(v)
	}
	var out []string
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

func jsonString(x any) string {
	switch v := x.(type) {
	case string:
		return v
	case float64:
		b, _ := json.Marshal(v)
		return string(b)
	}
	b, _ := json.Marshal(x)
	return string(b)
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// ClientRights lists the principal's rights as the openIMIS web client
// reads them (i_user.rights: numbers, ascending). An administrator holds
// every right the configuration names, as the services treat it.
func ClientRights(p *grievance.Principal, cfg *grievance.Config) []int {
	if p == nil {
		return []int{}
	}
	set := map[string]bool{}
	for r, ok := range p.Rights {
		if ok {
			set[r] = true
		}
	}
	if p.Admin {
		for _, rs := range [][]string{cfg.QueryTicketsPerms, cfg.QueryCommentsPerms, cfg.CreateTicketsPerms,
			cfg.UpdateTicketsPerms, cfg.DeleteTicketsPerms, cfg.CreateCommentPerms, cfg.ResolveGrievancePerms,
			cfg.UpdateOwnCommentPerms, cfg.UpdateCommentPerms, cfg.DeleteOwnCommentPerms, cfg.DeleteCommentPerms,
			cfg.ConfigPerms, cfg.ConfidentialPerms, cfg.StatisticsPerms} {
			for _, r := range rs {
				set[r] = true
			}
		}
		for _, rs := range cfg.RoleRights {
			for _, r := range rs {
				set[r] = true
			}
		}
	}
	out := make([]int, 0, len(set))
	for r := range set {
		// Rights that are not numbers cannot be openIMIS rights; the
		// client compares numbers.
		if n, err := strconv.Atoi(r); err == nil {
			out = append(out, n)
		}
	}
	sort.Ints(out)
	return out
}
