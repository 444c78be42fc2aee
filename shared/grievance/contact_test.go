package grievance

import (
	"strings"
	"testing"
)

func TestContactNormalize(t *testing.T) {
	tests := []struct {
		name    string
		in      Contact
		want    *Contact
		wantErr string
	}{
		{"empty block removes the contact", Contact{}, nil, ""},
		{"anonymous keeps only the flag", Contact{Anonymous: true, Name: "A", Phone: "+67077234567", Email: "a@b.org"}, &Contact{Anonymous: true}, ""},
		{"normalised", Contact{Name: " Ana ", Phone: "(+670) 7723-4567", Sex: "f", AgeBand: "60+", Location: "Dili / Becora", Language: "pt-TL"},
			&Contact{Name: "Ana", Phone: "+67077234567", Sex: "F", AgeBand: "60+", Location: "Dili/Becora", Language: "pt-TL"}, ""},
		{"short phone", Contact{Phone: "123"}, nil, "contact.phone"},
		{"email with a display name", Contact{Email: "Ana <a@b.org>"}, nil, "contact.email"},
		{"age band", Contact{AgeBand: "young"}, nil, "contact.ageBand"},
		{"language", Contact{Language: "Portuguese language"}, nil, "contact.preferredLanguage"},
		{"empty location level", Contact{Location: "Dili//Becora"}, nil, "empty level"},
		{"multi-line name", Contact{Name: "A\nB"}, nil, "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.Normalize()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if tt.in.Phone != "" && strings.Contains(err.Error(), tt.in.Phone) {
					t.Fatalf("error repeats the phone number: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMaskTicketHidesTheContactWithTheReporter(t *testing.T) {
	tk := &Ticket{Category: "C", ReporterType: PersonIndividual, ReporterID: "x", Contact: &Contact{Name: "Ana"}}
	if m := maskTicket(tk, map[string]bool{"reporter": true}); m.Contact != nil {
		t.Fatalf("masked contact = %+v", m.Contact)
	}
	if m := maskTicket(tk, map[string]bool{"title": true}); m.Contact == nil {
		t.Fatal("contact hidden although the reporter is not")
	}
}
