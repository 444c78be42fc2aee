package outbox

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

func line(t *testing.T, service, method, url, body string, encode bool) string {
	t.Helper()
	e := map[string]any{"method": method, "url": url, "body": body, "body_encoded": encode,
		"headers": map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=test/20261130/us-east-1/" + service + "/aws4_request, SignedHeaders=host, Signature=x"}}
	if encode {
		e["body"] = base64.StdEncoding.EncodeToString([]byte(body))
	}
	b, _ := json.Marshal(e)
	return string(b)
}

// Ensure the recording yields exactly the sends, in order: SNS Publish to
// a phone number and SES v2 SendEmail, whatever their body encoding; topic
// publishes, other services' calls and malformed lines are skipped.
func TestParse(t *testing.T) {
	email := `{"FromEmailAddress":"a@b.test","Destination":{"ToAddresses":["c@d.test"]},"Content":{"Simple":{"Subject":{"Data":"S"},"Body":{"Text":{"Data":"B"}}}}}`
	for _, tc := range []struct {
		name  string
		lines []string
		want  []Message
	}{
		{"SMS", []string{line(t, "sns", "POST", "http://x/", "Action=Publish&PhoneNumber=%2B67077123456&Message=Hi+there", false)},
			[]Message{{Channel: "sms", To: "+67077123456", Text: "Hi there"}}},
		{"EmailEncoded", []string{line(t, "ses", "POST", "http://x/v2/email/outbound-emails", email, true)},
			[]Message{{Channel: "email", To: "c@d.test", Subject: "S", Text: "B"}}},
		{"InOrder", []string{line(t, "ses", "POST", "http://x/v2/email/outbound-emails", email, false),
			line(t, "sns", "POST", "http://x/", "Action=Publish&PhoneNumber=%2B1555&Message=x", true)},
			[]Message{{Channel: "email", To: "c@d.test", Subject: "S", Text: "B"}, {Channel: "sms", To: "+1555", Text: "x"}}},
		{"TopicPublishSkipped", []string{line(t, "sns", "POST", "http://x/", "Action=Publish&TopicArn=arn%3Aaws%3Asns%3Ax&Message=x", false)}, nil},
		{"OtherServicesSkipped", []string{line(t, "dynamodb", "POST", "http://x/", `{"TableName":"t"}`, false),
			line(t, "ses", "GET", "http://x/v2/email/outbound-emails", "", false)}, nil},
		{"MalformedSkipped", []string{"{not json", line(t, "ses", "POST", "http://x/v2/email/outbound-emails", "{", false)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(strings.Join(tc.lines, "\n")))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %+v, want %+v", got, tc.want)
				}
			}
		})
	}
}
