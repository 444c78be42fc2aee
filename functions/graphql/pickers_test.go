package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/directory"
	"github.com/redress-grm/redress/shared/grievance"
)

// importPeople stores registry records as the importer does.
func importPeople(t *testing.T, e *env, rows ...map[string]string) {
	t.Helper()
	var ps []grievance.Person
	for _, f := range rows {
		p, err := directory.ParseRow(f, time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	if _, err := e.db.ImportPeople(context.Background(), ps); err != nil {
		t.Fatal(err)
	}
}

func row(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func setupPickers(t *testing.T) *env {
	e := newDynamoEnv(t) // the pickers read DynamoDB's indexes
	importPeople(t, e,
		row("external_id", "I-1", "type", "individual", "first_name", "Maria", "last_name", "Soares", "dob", "1984-03-12", "phone", "+670 7700 0001", "email", "m@example.org", "location", "Ainaro"),
		row("external_id", "I-2", "type", "individual", "first_name", "Mario", "last_name", "Soares", "dob", "1980-01-01"),
		row("external_id", "I-3", "type", "individual", "first_name", "João", "last_name", "Pereira"),
		row("external_id", "I-4", "type", "individual", "first_name", "Old", "last_name", "Soaresz", "active", "false"),
		row("external_id", "B-1", "type", "beneficiary", "first_name", "Maria", "last_name", "Soares", "programme", "cash-transfer", "individual_external_id", "I-1"),
		row("external_id", "B-3", "type", "beneficiary", "first_name", "João", "last_name", "Pereira", "programme", "school-feeding", "individual_external_id", "I-3"),
	)
	return e
}

func names(ns []map[string]any, keys ...string) []string {
	var out []string
	for _, n := range ns {
		var v any = n
		for _, k := range keys {
			v = v.(map[string]any)[k]
		}
		out = append(out, fmt.Sprint(v))
	}
	return out
}

func TestPickers_OpenIMISClientShapes(t *testing.T) {
	e := setupPickers(t)
	ind1 := directory.DeriveID(grievance.PersonIndividual, "I-1")
	plan := directory.ProgrammeID("cash-transfer")
	tests := []struct {
		name, query, conn string
		keys              []string
		want              []string
	}{
		{"individual by last name (prefix, inactive left out)",
			`{ individual(lastName_Icontains: "soa", first: 10, isDeleted: false) { totalCount pageInfo { hasNextPage } edges { node { id firstName lastName dob jsonExt } } } }`,
			"individual", []string{"firstName"}, []string{"Maria", "Mario"}},
		{"individual by id", fmt.Sprintf(`{ individual(id: %q) { edges { node { id firstName lastName } } } }`, ind1),
			"individual", []string{"firstName"}, []string{"Maria"}},
		{"individual by exact phone", `{ individual(phone: "+67077000001") { edges { node { lastName } } } }`,
			"individual", []string{"lastName"}, []string{"Soares"}},
		{"individual by external id", `{ individual(externalId: "I-3") { edges { node { firstName } } } }`,
			"individual", []string{"firstName"}, []string{"João"}},
		{"inactive on request", `{ individual(lastName_Icontains: "soa", isDeleted: true) { edges { node { firstName } } } }`,
			"individual", []string{"firstName"}, []string{"Old"}},
		{"individuals of a benefit plan", fmt.Sprintf(`{ individual(first: 10, isDeleted: false, benefitPlanId: %q) { edges { node { firstName } } } }`, plan),
			"individual", []string{"firstName"}, []string{"Maria"}},
		{"beneficiary by the individual's last name", `{ beneficiary(individual_LastName_Icontains: "pe", first: 10, isDeleted: false) { totalCount edges { node { id individual { firstName lastName dob jsonExt } } } } }`,
			"beneficiary", []string{"individual", "firstName"}, []string{"João"}},
		{"beneficiary of a plan", fmt.Sprintf(`{ beneficiary(first: 10, isDeleted: false, benefitPlan_Id: %q) { edges { node { individual { lastName } } } } }`, plan),
			"beneficiary", []string{"individual", "lastName"}, []string{"Soares"}},
		{"benefit plans", `{ benefitPlan(search: "", first: 10, isDeleted: false, sortAlphabetically: true) { totalCount edges { node { id code name type jsonExt } } } }`,
			"benefitPlan", []string{"code"}, []string{"cash-transfer", "school-feeding"}},
		{"benefit plan search", `{ benefitPlan(search: "SCHOOL", first: 10) { edges { node { code } } } }`,
			"benefitPlan", []string{"code"}, []string{"school-feeding"}},
		{"users by text", `{ users(str: "off", first: 10) { edges { node { id username iUser { id otherNames lastName } } } } }`,
			"users", []string{"iUser", "lastName"}, []string{"Icer"}},
		{"users by role", `{ users(role: "2", first: 10) { edges { node { username } } } }`,
			"users", []string{"username"}, []string{"outsider", "staff"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := e.ok(t, officerClaims, tt.query)
			got := names(nodes(d, tt.conn), tt.keys...)
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			raw, _ := json.Marshal(d)
			if strings.Contains(string(raw), "7700") || strings.Contains(string(raw), "example.org") {
				t.Fatalf("a picker shows personal data: %s", raw)
			}
			if tc, ok := path(d, tt.conn, "totalCount").(float64); ok && int(tc) != len(tt.want) {
				t.Fatalf("totalCount = %v, want %d", tc, len(tt.want))
			}
		})
	}
}

func TestPickers_NeedATicketRight(t *testing.T) {
	e := setupPickers(t)
	r := e.gql(t, outsiderClaims, `{ individual(lastName_Icontains: "soa") { edges { node { id } } } }`, nil)
	if len(r.Errors) == 0 || !strings.Contains(string(r.Raw), "nauthorized") && !strings.Contains(string(r.Raw), "FORBIDDEN") {
		t.Fatalf("outsider got %s", r.Raw)
	}
}

// A ticket can name an imported individual picked by the client: the
// picker's global id is accepted as reporterId and stored raw.
func TestPickers_TicketNamesAPickedIndividual(t *testing.T) {
	e := setupPickers(t)
	d := e.ok(t, officerClaims, `{ individual(externalId: "I-1") { edges { node { id } } } }`)
	gid := nodes(d, "individual")[0]["id"].(string)
	id := e.createTicket(t, officerClaims, fmt.Sprintf(`%s, reporterType: "individual", reporterId: %q`, basicTicket, gid))
	if got := e.ticket(t, id).ReporterID; got != directory.DeriveID(grievance.PersonIndividual, "I-1") {
		t.Fatalf("reporterId stored %q", got)
	}
	d = e.ok(t, officerClaims, fmt.Sprintf(`{ tickets(id: %q) { edges { node { reporterFirstName reporter } } } }`, id))
	if n := nodes(d, "tickets")[0]; n["reporterFirstName"] != "Maria" {
		t.Fatalf("ticket row = %v", n)
	}
}

func TestPickers_RefuseOverlongArguments(t *testing.T) {
	e := setupPickers(t)
	long := strings.Repeat("a", 256)
	for _, q := range []string{
		fmt.Sprintf(`{ individual(lastName_Icontains: %q) { edges { node { id } } } }`, long),
		fmt.Sprintf(`{ users(str: %q) { edges { node { id } } } }`, long),
		fmt.Sprintf(`{ benefitPlan(search: %q) { edges { node { id } } } }`, long),
	} {
		r := e.gql(t, officerClaims, q, nil)
		if len(r.Errors) == 0 || !strings.Contains(string(r.Raw), "256 characters long") {
			t.Errorf("%.40s… answered %s", q, r.Raw)
		}
	}
}

// The name pickers match a case-insensitive substring of the last name,
// as openIMIS's lastName_Icontains does: anywhere in the name, each
// person once, inactive people only on request, pages that add up to
// totalCount, and never a phone number or an e-mail address.
func TestPickers_NameIsACaseInsensitiveSubstring(t *testing.T) {
	e := setupPickers(t)
	var rows []map[string]string
	for i := 1; i <= 23; i++ {
		rows = append(rows, row("external_id", fmt.Sprintf("A-%02d", i), "type", "individual", "first_name", fmt.Sprintf("Ana%02d", i),
			"last_name", fmt.Sprintf("Amaral %02d", i), "phone", fmt.Sprintf("+6707711%04d", i), "email", fmt.Sprintf("a%d@example.org", i)))
	}
	// "mar" twice in one name: one row.
	rows = append(rows, row("external_id", "A-24", "type", "individual", "first_name", "Twice", "last_name", "Ramaramar"),
		row("external_id", "A-25", "type", "individual", "first_name", "Gone", "last_name", "Mariano", "active", "false"))
	importPeople(t, e, rows...)
	plan := directory.ProgrammeID("cash-transfer")
	tests := []struct {
		name, query, conn string
		keys              []string
		want              []string
	}{
		{"middle of the name, any case", `{ individual(lastName_Icontains: "OAR", first: 10) { totalCount edges { node { firstName } } } }`,
			"individual", []string{"firstName"}, []string{"Maria", "Mario"}},
		{"end of the name", `{ individual(lastName_Icontains: "eira", first: 10) { totalCount edges { node { lastName } } } }`,
			"individual", []string{"lastName"}, []string{"Pereira"}},
		{"inactive only on request", `{ individual(lastName_Icontains: "ariano", isDeleted: true) { totalCount edges { node { firstName } } } }`,
			"individual", []string{"firstName"}, []string{"Gone"}},
		{"inactive left out", `{ individual(lastName_Icontains: "ariano", isDeleted: false) { totalCount edges { node { firstName } } } }`,
			"individual", []string{"firstName"}, nil},
		{"beneficiary by the middle of the name", `{ beneficiary(individual_LastName_Icontains: "REIR", first: 10, isDeleted: false) { totalCount edges { node { individual { firstName } } } } }`,
			"beneficiary", []string{"individual", "firstName"}, []string{"João"}},
		{"beneficiary of a plan by name", fmt.Sprintf(`{ beneficiary(individual_LastName_Icontains: "ares", benefitPlan_Id: %q) { totalCount edges { node { individual { firstName } } } } }`, plan),
			"beneficiary", []string{"individual", "firstName"}, []string{"Maria"}},
		{"beneficiary of another plan by name", fmt.Sprintf(`{ beneficiary(individual_LastName_Icontains: "pe", benefitPlan_Id: %q) { totalCount edges { node { id } } } }`, plan),
			"beneficiary", []string{"id"}, nil},
		{"individuals of a plan by name", fmt.Sprintf(`{ individual(lastName_Icontains: "OAR", benefitPlanId: %q) { totalCount edges { node { firstName } } } }`, plan),
			"individual", []string{"firstName"}, []string{"Maria"}},
		{"users by a part of the username", `{ users(str: "TAF", first: 10) { totalCount edges { node { username } } } }`,
			"users", []string{"username"}, []string{"staff"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := e.ok(t, officerClaims, tt.query)
			got := names(nodes(d, tt.conn), tt.keys...)
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			if tc := path(d, tt.conn, "totalCount"); tc != float64(len(tt.want)) {
				t.Fatalf("totalCount = %v, want %d", tc, len(tt.want))
			}
		})
	}

	// Pages of 10 through the 24 active "mar"s: each once, in the index's
	// order ("mar", then "maral …", then "maramar"), the total on every
	// page.
	var seen []string
	after := ""
	for page := 0; ; page++ {
		q := `{ individual(lastName_Icontains: "Mar", first: 10` + after + `) { totalCount pageInfo { hasNextPage endCursor } edges { node { firstName lastName dob jsonExt } } } }`
		d := e.ok(t, officerClaims, q)
		raw, _ := json.Marshal(d)
		if strings.Contains(string(raw), "7711") || strings.Contains(string(raw), "example.org") {
			t.Fatalf("a picker shows personal data: %s", raw)
		}
		if tc := path(d, "individual", "totalCount"); tc != 24.0 {
			t.Fatalf("page %d: totalCount = %v, want 24", page, tc)
		}
		seen = append(seen, names(nodes(d, "individual"), "firstName")...)
		if path(d, "individual", "pageInfo", "hasNextPage") != true {
			break
		}
		after = fmt.Sprintf(", after: %q", path(d, "individual", "pageInfo", "endCursor"))
	}
	if len(seen) != 24 || seen[0] != "Twice" {
		t.Fatalf("pages gave %d rows %v, want 24 starting with Twice (its suffix \"mar\" sorts first)", len(seen), seen)
	}
	slices.Sort(seen)
	if len(slices.Compact(seen)) != 24 {
		t.Fatalf("a row twice across pages: %v", seen)
	}
}
