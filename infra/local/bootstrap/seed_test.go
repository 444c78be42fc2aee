package bootstrap_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redress-grm/redress/infra/local/bootstrap"
)

func TestReadSeed(t *testing.T) {
	const ind = `{"id": "5FF417E3-6A37-4E55-9AED-112C31AF7971", "type": "individual", "lastName": "Soares"}`
	const alice = `{"id": "92f6450c-efe8-5899-ae45-671c4543b555", "type": "user", "username": "alice", "firstName": "Alice"}`
	tests := []struct {
		name, people, want, wantErr string
	}{
		// A person without a registry id gets their id as one.
		{"individual", ind, `{"external_id":"5ff417e3-6a37-4e55-9aed-112c31af7971","id":"5ff417e3-6a37-4e55-9aed-112c31af7971","last_name":"Soares","type":"individual"}` + "\n", ""},
		{"staff only", alice, "", ""},
		{"staff roles", `{"id": "92f6450c-efe8-5899-ae45-671c4543b555", "type": "user", "username": "alice", "roles": ["1"]}`, "", "roles come from staffGroups"},
		{"free JSON", `{"id": "5ff417e3-6a37-4e55-9aed-112c31af7971", "type": "individual", "lastName": "Soares", "jsonExt": {"village": "Aileu"}}`, "", "no jsonExt"},
		{"bad id", `{"id": "x", "type": "individual", "lastName": "Soares"}`, "", "not a valid UUID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "seed.json")
			os.WriteFile(path, []byte(`{"people": [`+tt.people+`], "staffGroups": {"alice": ["GrievanceOfficer"]}}`), 0o600)
			s, err := bootstrap.ReadSeed(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(s.Registry) != tt.want {
				t.Fatalf("registry rows = %s, want %s", s.Registry, tt.want)
			}
			if tt.name == "staff only" && (len(s.Staff) != 1 || s.Staff[0].Sub != "92f6450c-efe8-5899-ae45-671c4543b555" || s.Staff[0].Groups[0] != "GrievanceOfficer") {
				t.Fatalf("staff = %+v", s.Staff)
			}
		})
	}
}
