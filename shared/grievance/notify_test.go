package grievance_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/redress-grm/redress/shared/grievance"
)

// notifDoc returns a configuration document whose notifications key is the
// defaults changed by edit.
func notifDoc(t *testing.T, edit func(n map[string]any)) []byte {
	t.Helper()
	b, _ := json.Marshal(grievance.DefaultNotifications())
	var n map[string]any
	if err := json.Unmarshal(b, &n); err != nil {
		t.Fatal(err)
	}
	edit(n)
	doc, _ := json.Marshal(map[string]any{"notifications": n})
	return doc
}

func setTemplate(kind, lang, ch, text string) func(map[string]any) {
	return func(n map[string]any) {
		tpl := n["templates"].(map[string]any)
		if tpl[kind] == nil {
			tpl[kind] = map[string]any{}
		}
		langs := tpl[kind].(map[string]any)
		if langs[lang] == nil {
			langs[lang] = map[string]any{}
		}
		langs[lang].(map[string]any)[ch] = text
	}
}

// Ensure the configuration refuses, when stored, every template the
// notifier could not render or that breaks the rules: unknown
// placeholders, missing default language, SMS longer than three segments
// (GSM-7 and UCS-2 counted apart), staff SMS, missing neutral texts.
func TestParseConfig_NotificationTemplates(t *testing.T) {
	gsm := strings.Repeat("a", 440)       // + code (11): 451 septets, 3 segments
	ucs := strings.Repeat("ã", 180) + "ő" // 181 UTF-16 units + code: 3 segments of 67
	for _, tc := range []struct {
		name string
		edit func(map[string]any)
		want string // "" accepted, else part of the error
	}{
		{"DefaultsAccepted", func(map[string]any) {}, ""},
		{"UnknownPlaceholder", setTemplate("acknowledgement", "en", "sms", "Case {code} about {title}"), "unknown placeholder {title}"},
		{"CategoryNotInNeutral", setTemplate("neutral", "en", "sms", "Case {code} ({category})"), "unknown placeholder {category}"},
		{"UnmatchedBrace", setTemplate("acknowledgement", "en", "sms", "Case {code"), "unmatched brace"},
		{"MissingDefaultLanguage", func(n map[string]any) {
			n["templates"].(map[string]any)["reopened"] = map[string]any{"pt": map[string]any{"sms": "Caso {code} reaberto."}}
		}, `no template in the default language "en"`},
		{"OtherLanguageAccepted", setTemplate("reopened", "pt", "sms", "Caso {code} reaberto."), ""},
		{"GSMThreeSegmentsAccepted", setTemplate("acknowledgement", "en", "sms", gsm+"{code}"), ""},
		{"GSMFourSegments", setTemplate("acknowledgement", "en", "sms", gsm+"{code}{code}"), "4 SMS segments"},
		{"GSMExtensionCountsTwice", setTemplate("acknowledgement", "en", "sms", gsm+"{code}"+strings.Repeat("€", 5)), "4 SMS segments"},
		{"UCS2ThreeSegmentsAccepted", setTemplate("acknowledgement", "en", "sms", ucs+"{code}"), ""},
		{"UCS2FourSegments", setTemplate("acknowledgement", "en", "sms", ucs+"{code}{code}"), "4 SMS segments"},
		{"LongestCategoryCounts", func(n map[string]any) {
			setTemplate("acknowledgement", "en", "sms", strings.Repeat("a", 400)+"{category}")(n)
		}, ""},
		{"StaffBySMS", setTemplate("staff_overdue", "en", "sms", "Ticket {code} overdue"), "staff messages go by email only"},
		{"UnknownMessage", setTemplate("welcome", "en", "sms", "Hi"), `unknown message "welcome"`},
		{"UnknownChannel", setTemplate("acknowledgement", "en", "fax", "Hi"), "unknown channel"},
		{"NeutralRequired", func(n map[string]any) { delete(n["templates"].(map[string]any), "neutral") }, `"neutral" is required`},
		{"TrackingPlaceholder", func(n map[string]any) { n["tracking_instructions"] = map[string]any{"en": "Use {secret}"} }, "only {code}"},
		{"QuietHoursMalformed", func(n map[string]any) { n["quiet_hours"] = map[string]any{"start": "9pm", "end": "07:00"} }, "quiet_hours"},
		{"QuietHoursUnknownKey", func(n map[string]any) {
			n["quiet_hours"] = map[string]any{"start": "21:00", "end": "07:00", "zone": "Dili"}
		}, "unknown field"},
		{"PreferredChannel", func(n map[string]any) { n["preferred_channel"] = "fax" }, "preferred_channel"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := grievance.ParseConfig(notifDoc(t, tc.edit))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("accepted; want an error with %q", tc.want)
			case tc.want != "" && !strings.Contains(grievance.ErrorMessage(err), tc.want):
				t.Fatalf("error %q; want it to contain %q", grievance.ErrorMessage(err), tc.want)
			}
		})
	}
}

// Ensure a stored notifications key replaces the built-in templates: a
// message it leaves out is not sent, English defaults do not mix in.
func TestParseConfig_NotificationTemplatesReplaceDefaults(t *testing.T) {
	doc := []byte(`{"notifications": {"default_language": "pt",
		"templates": {"neutral": {"pt": {"sms": "O caso {code} foi atualizado."}},
		              "staff_neutral": {"pt": {"email": "Caso {code}\n{link}"}}}}}`)
	cfg, err := grievance.ParseConfig(doc)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg.Notifications.Templates[grievance.MsgAcknowledgement]; ok {
		t.Fatal("the default acknowledgement template survived a stored templates key")
	}
	if !cfg.Notifications.Enabled || cfg.Notifications.PreferredChannel != grievance.ChannelSMS {
		t.Fatal("settings left out lost their defaults")
	}
}

// Ensure segments are counted as handsets count them: GSM-7 160 alone and
// 153 when concatenated, extension characters twice, UCS-2 70 and 67 in
// UTF-16 units.
func TestSMSSegments(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		want int
	}{
		{"Empty", "", 1},
		{"GSM160", strings.Repeat("a", 160), 1},
		{"GSM161", strings.Repeat("a", 161), 2},
		{"GSM306", strings.Repeat("a", 306), 2},
		{"GSM307", strings.Repeat("a", 307), 3},
		{"GSMExtension", strings.Repeat("a", 159) + "€", 2},
		{"GSMAccentsStayGSM", strings.Repeat("é", 160), 1},
		{"UCS70", strings.Repeat("ã", 70), 1},
		{"UCS71", strings.Repeat("ã", 71), 2},
		{"UCS134", strings.Repeat("ã", 134), 2},
		{"UCS135", strings.Repeat("ã", 135), 3},
		{"OneCharSwitchesToUCS2", strings.Repeat("a", 100) + "ũ", 2},
		{"SurrogatePairsCountTwo", strings.Repeat("😀", 35), 1},
		{"SurrogatePairsOverflow", strings.Repeat("😀", 36), 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := grievance.SMSSegments(tc.text); got != tc.want {
				t.Fatalf("SMSSegments = %d, want %d", got, tc.want)
			}
		})
	}
}

// Ensure rendering fills the placeholders, falls back to the default
// language, cuts the subject from an e-mail, and for a confidential ticket
// renders the neutral text whatever message was asked for.
func TestRender(t *testing.T) {
	n := grievance.DefaultNotifications()
	n.Templates[grievance.MsgAcknowledgement]["tet"] = map[grievance.Channel]string{grievance.ChannelSMS: "Ami simu ona keixa {code}."}
	v := grievance.NoticeValues{Code: "GRS00000042", Status: "OPEN", DueDate: "2026-12-01", Category: "Land dispute", TicketID: "t-1"}
	for _, tc := range []struct {
		name         string
		kind         string
		ch           grievance.Channel
		lang         string
		confidential bool
		wantSubject  string
		want, never  []string
	}{
		{"SMSWithValues", grievance.MsgAcknowledgement, grievance.ChannelSMS, "en", false, "", []string{"GRS00000042", "2026-12-01", "reply STATUS GRS00000042"}, []string{"{"}},
		{"PreferredLanguage", grievance.MsgAcknowledgement, grievance.ChannelSMS, "tet", false, "", []string{"Ami simu ona keixa GRS00000042."}, nil},
		{"FallbackLanguage", grievance.MsgReopened, grievance.ChannelSMS, "tet", false, "", []string{"has been reopened"}, nil},
		{"EmailSubject", grievance.MsgResolved, grievance.ChannelEmail, "en", false, "Your grievance GRS00000042", []string{"has been resolved"}, nil},
		{"StaffQuotesCategory", grievance.MsgStaffAssigned, grievance.ChannelEmail, "en", false, "Ticket GRS00000042 assigned to you", []string{"Land dispute", "https://redress.example/tickets/t-1"}, nil},
		{"ConfidentialComplainantNeutral", grievance.MsgAcknowledgement, grievance.ChannelSMS, "tet", true, "", []string{"Your case GRS00000042 has been updated."}, []string{"Land dispute", "2026-12-01", "OPEN", "keixa"}},
		{"ConfidentialStaffLinksOnly", grievance.MsgStaffEscalate, grievance.ChannelEmail, "en", true, "Ticket GRS00000042 needs your attention", []string{"https://redress.example/tickets/t-1"}, []string{"Land dispute", "2026-12-01", "escalated"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := n.Render(tc.kind, tc.ch, tc.lang, tc.confidential, v)
			if err != nil {
				t.Fatal(err)
			}
			if r.Subject != tc.wantSubject {
				t.Errorf("subject %q, want %q", r.Subject, tc.wantSubject)
			}
			all := r.Subject + "\n" + r.Body
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("message %q lacks %q", all, w)
				}
			}
			for _, w := range tc.never {
				if strings.Contains(all, w) {
					t.Errorf("message %q contains %q", all, w)
				}
			}
		})
	}
}

// Ensure quiet hours hold SMS inside the window, including one that wraps
// midnight, in the configured offset, and say when the window ends.
func TestQuietHours_Until(t *testing.T) {
	q := &grievance.QuietHours{Start: "21:00", End: "07:00", UTCOffsetMins: 9 * 60} // Dili
	day := &grievance.QuietHours{Start: "12:00", End: "14:00"}
	for _, tc := range []struct {
		name  string
		q     *grievance.QuietHours
		now   string // UTC
		until string // "" not quiet
	}{
		{"Off", nil, "2026-03-01 12:00", ""},
		{"EveningLocal", q, "2026-03-01 12:30", "2026-03-01 22:00"}, // 21:30 local
		{"AfterMidnightLocal", q, "2026-03-01 16:00", "2026-03-01 22:00"},
		{"MorningLocal", q, "2026-03-01 22:00", ""}, // 07:00 local
		{"DaytimeLocal", q, "2026-03-01 03:00", ""},
		{"DayWindowInside", day, "2026-03-01 13:59", "2026-03-01 14:00"},
		{"DayWindowEnd", day, "2026-03-01 14:00", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			until, quiet := tc.q.Until(at(tc.now))
			if (tc.until != "") != quiet {
				t.Fatalf("quiet = %v, want %v", quiet, tc.until != "")
			}
			if quiet && !until.Equal(at(tc.until)) {
				t.Fatalf("until %s, want %s", until.UTC(), tc.until)
			}
		})
	}
}

// Ensure a ticket's contribution to the statistics counts its
// acknowledgement, the time it took and whether it met the configured
// target (48 h by default), and nothing for a ticket not acknowledged.
func TestContributionOf_Acknowledgement(t *testing.T) {
	dims := grievance.DefaultConfig().StatsDimensions()
	created := at("2026-03-01 10:00")
	for _, tc := range []struct {
		name               string
		ack                string
		want, secs, within int64
	}{
		{"NotAcknowledged", "", 0, 0, 0},
		{"WithinMinutes", "2026-03-01 10:05", 1, 300, 1},
		{"AtTarget", "2026-03-03 10:00", 1, 48 * 3600, 1},
		{"LateByAMinute", "2026-03-03 10:01", 1, 48*3600 + 60, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tk := &grievance.Ticket{Status: grievance.StatusReceived, Category: "Default", DateCreated: created}
			if tc.ack != "" {
				tk.AcknowledgedAt = at(tc.ack)
			}
			c := grievance.ContributionOf(tk, dims).Counters
			if c[grievance.CounterAcknowledged] != tc.want || c[grievance.CounterAckSecs] != tc.secs || c[grievance.CounterAckWithin] != tc.within {
				t.Fatalf("counters %v, want ak=%d aks=%d akw=%d", c, tc.want, tc.secs, tc.within)
			}
		})
	}
}
