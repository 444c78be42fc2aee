package auth_test

import (
	"fmt"
	"sort"
	"testing"

	"github.com/redress-grm/redress/shared/auth"
	"github.com/redress-grm/redress/shared/grievance"
)

func TestList_ParsesEveryClaimRendering(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "[]"},
		{"[GrievanceOfficer GrievanceAdmin]", "[GrievanceOfficer GrievanceAdmin]"},
		{`["GrievanceOfficer","GbvSpecialist"]`, "[GrievanceOfficer GbvSpecialist]"},
		{"127000,127001", "[127000 127001]"},
		{"[127000 127001]", "[127000 127001]"},
		{"[127000, 127001]", "[127000 127001]"},
		{"GrievanceViewer", "[GrievanceViewer]"},
	} {
		if got := fmt.Sprint(auth.List(tc.in)); got != tc.want && !(tc.want == "[]" && got == "[]") {
			t.Errorf("List(%q)=%s, want %s", tc.in, got, tc.want)
		}
	}
}

// Ensure a group is the admin group only when its whole name is the admin
// group's name, in every way API Gateway can render the claim: names that
// contain it with quotes, brackets, commas or around a space are other
// groups (Cognito group names cannot hold spaces, so "[a b]" is two).
func TestPrincipal_AdminGroupMatchesWholeNamesOnly(t *testing.T) {
	cfg := grievance.DefaultConfig()
	sub := "6B1D2F3A-8C4E-4D5F-9A6B-7C8D9E0F1A2B"
	for _, tc := range []struct {
		claim string
		admin bool
	}{
		{"[GrievanceAdmin]", true},
		{"[GrievanceOfficer GrievanceAdmin]", true},
		{"GrievanceAdmin", true},
		{`["GrievanceAdmin"]`, false},
		{`["GrievanceAdmin" "x"]`, false},
		{`[x,GrievanceAdmin]`, false},
		{`x,GrievanceAdmin`, false},
		{`[[GrievanceAdmin]]`, false},
		{`[GrievanceAdmin,]`, false},
		{`["GrievanceAdmin",`, false},
		{"[ GrievanceAdmin]", true},
		{"[GrievanceAdmin Other]", true},
		{"GrievanceAdmin Other", false},
		{"[grievanceadmin]", false},
		{"[GrievanceAdmins]", false},
		{"[]", false},
		{"", false},
	} {
		t.Run(tc.claim, func(t *testing.T) {
			p := auth.Principal(map[string]string{"sub": sub, "cognito:groups": tc.claim}, cfg, auth.Options{})
			if p.Admin != tc.admin {
				t.Fatalf("groups %q: Admin=%v, want %v (parsed %q)", tc.claim, p.Admin, tc.admin, p.Groups)
			}
		})
	}
}

func rights(p *grievance.Principal) string {
	var rs []string
	for r := range p.Rights {
		rs = append(rs, r)
	}
	sort.Strings(rs)
	return fmt.Sprint(rs)
}

func TestPrincipal(t *testing.T) {
	cfg := grievance.DefaultConfig()
	sub := "6B1D2F3A-8C4E-4D5F-9A6B-7C8D9E0F1A2B"
	for _, tc := range []struct {
		name      string
		claims    map[string]string
		opts      auth.Options
		wantNil   bool
		wantAdmin bool
		want      string
	}{
		{name: "no subject is anonymous", claims: map[string]string{"username": "x"}, wantNil: true},
		{name: "group rights from role_rights", claims: map[string]string{"sub": sub, "cognito:groups": "[GrievanceViewer]"}, want: "[127000 127004]"},
		{name: "rights claim ignored unless allowed", claims: map[string]string{"sub": sub, "custom:rights": "127001"}, want: "[]"},
		{name: "rights claim honoured when allowed", claims: map[string]string{"sub": sub, "custom:rights": "127001,127006"}, opts: auth.Options{AllowRightsClaim: true}, want: "[127001 127006]"},
		{name: "admin group", claims: map[string]string{"sub": sub, "cognito:groups": "[GrievanceAdmin]"}, wantAdmin: true, want: "[]"},
		{name: "configured admin group", claims: map[string]string{"sub": sub, "cognito:groups": "[Ops]"}, opts: auth.Options{AdminGroup: "Ops"}, wantAdmin: true, want: "[]"},
		{name: "unknown group gives nothing", claims: map[string]string{"sub": sub, "cognito:groups": "[Nobody]"}, want: "[]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := auth.Principal(tc.claims, cfg, tc.opts)
			if tc.wantNil {
				if p != nil {
					t.Fatalf("principal=%+v, want nil", p)
				}
				return
			}
			if p.ID != "6b1d2f3a-8c4e-4d5f-9a6b-7c8d9e0f1a2b" {
				t.Fatalf("ID=%s, want canonical sub", p.ID)
			}
			if p.Admin != tc.wantAdmin {
				t.Fatalf("Admin=%v, want %v", p.Admin, tc.wantAdmin)
			}
			if got := rights(p); got != tc.want {
				t.Fatalf("rights=%s, want %s", got, tc.want)
			}
		})
	}
}

// i_user.rights comes from the same group → rights mapping as every
// other check; an administrator holds every configured right.
func TestClientRights_FromGroupsThroughTheConfiguration(t *testing.T) {
	cfg := grievance.DefaultConfig()
	for _, tc := range []struct {
		name   string
		claims map[string]string
		want   string
	}{
		{"officer", map[string]string{"sub": "u1", "cognito:groups": "[GrievanceOfficer]"}, "[127000 127001 127002 127003 127004 127005 127006]"},
		{"viewer", map[string]string{"sub": "u2", "cognito:groups": "[GrievanceViewer]"}, "[127000 127004]"},
		{"no group", map[string]string{"sub": "u3"}, "[]"},
		{"admin", map[string]string{"sub": "u4", "cognito:groups": "[GrievanceAdmin]"}, "[127000 127001 127002 127003 127004 127005 127006 127007 127099]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := auth.Principal(tc.claims, cfg, auth.Options{})
			if got := fmt.Sprint(auth.ClientRights(p, cfg)); got != tc.want {
				t.Fatalf("rights %s, want %s", got, tc.want)
			}
		})
	}
	if got := auth.ClientRights(nil, cfg); len(got) != 0 {
		t.Fatalf("anonymous rights %v", got)
	}
}
