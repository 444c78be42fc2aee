package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/google/uuid"

	"github.com/redress-grm/redress/shared/grievance"
)

// configCommand changes the module configuration of any Redress endpoint
// (local or deployed) through the admin-only updateGrievanceConfig
// mutation, then reports the outcome from the mutation log. Platform teams
// use it instead of redeploying.
func configCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: local config -file config.json [-endpoint URL] [-token JWT] [-check]\n\n"+
			"Validates the configuration document, then (without -check) stores it with the\n"+
			"updateGrievanceConfig mutation, which needs an admin token.\n\n")
		fs.PrintDefaults()
	}
	file := fs.String("file", "", "configuration document (JSON); - for standard input (required)")
	endpoint := fs.String("endpoint", envOr(getenv, "REDRESS_ENDPOINT", "http://127.0.0.1:8080/api/graphql"), "GraphQL endpoint ($REDRESS_ENDPOINT)")
	token := fs.String("token", getenv("REDRESS_TOKEN"), "bearer token of an admin ($REDRESS_TOKEN)")
	check := fs.Bool("check", false, "only validate the document locally")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *file == "" {
		fs.Usage()
		return fmt.Errorf("config: -file is required")
	}
	var doc []byte
	var err error
	if *file == "-" {
		doc, err = io.ReadAll(os.Stdin)
	} else {
		doc, err = os.ReadFile(*file)
	}
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	// Validate before sending: the same rules the service applies.
	if _, err := grievance.ParseConfig(doc); err != nil {
		return fmt.Errorf("config: %s", grievance.ErrorMessage(err))
	}
	if *check {
		fmt.Fprintln(stdout, "configuration is valid")
		return nil
	}
	if *token == "" {
		return fmt.Errorf("config: -token (or $REDRESS_TOKEN) is required to store the configuration")
	}
	c := &gqlClient{endpoint: *endpoint, token: *token, http: &http.Client{Timeout: 30 * time.Second}}
	cmid := "config-" + uuid.NewString()
	var sent struct {
		UpdateGrievanceConfig struct{ InternalID string } `json:"updateGrievanceConfig"`
	}
	err = c.do(ctx, `mutation($config: JSONString!, $cmid: String) { updateGrievanceConfig(input: {config: $config, clientMutationId: $cmid, clientMutationLabel: "Update grievance configuration"}) { internalId } }`,
		map[string]any{"config": string(doc), "cmid": cmid}, &sent)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	var logs struct {
		MutationLogs struct {
			Edges []struct {
				Node struct {
					Status int
					Error  *string
				}
			}
		} `json:"mutationLogs"`
	}
	if err := c.do(ctx, `query($cmid: String) { mutationLogs(clientMutationId: $cmid) { edges { node { status error } } } }`, map[string]any{"cmid": cmid}, &logs); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if len(logs.MutationLogs.Edges) != 1 {
		return fmt.Errorf("config: no mutation log for %s", cmid)
	}
	n := logs.MutationLogs.Edges[0].Node
	if n.Status != int(grievance.MutationSuccess) {
		msg := "unknown error"
		if n.Error != nil {
			msg = *n.Error
		}
		return fmt.Errorf("config: not stored: %s", msg)
	}
	fmt.Fprintf(stdout, "configuration stored (mutation log %s); containers apply it within 30 s\n", sent.UpdateGrievanceConfig.InternalID)
	return nil
}

// gqlClient posts GraphQL requests with a bearer token.
type gqlClient struct {
	endpoint, token string
	http            *http.Client
}

func (c *gqlClient) do(ctx context.Context, query string, vars map[string]any, out any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	var r struct {
		Data   json.RawMessage
		Errors []struct{ Message string }
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("%s: HTTP %d: %s", c.endpoint, resp.StatusCode, bytes.TrimSpace(raw))
	}
	if len(r.Errors) > 0 {
		return fmt.Errorf("%s: %s", c.endpoint, r.Errors[0].Message)
	}
	return json.Unmarshal(r.Data, out)
}
