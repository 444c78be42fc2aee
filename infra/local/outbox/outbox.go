// Package outbox reads the messages the local stack's functions asked the
// emulator to send: SMS (SNS Publish to a phone number) and e-mail (SES v2
// SendEmail). moto keeps them in its backends but serves no API that lists
// the SMS, so the local stack turns on moto's request recorder
// (/moto-api/recorder) and this package reads the sends back from it, in
// the order they were made. `go run ./infra/local outbox` prints them.
package outbox

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Message is one message sent through the emulator.
type Message struct {
	Channel string `json:"channel"` // "sms" or "email"
	To      string `json:"to"`
	Subject string `json:"subject,omitempty"`
	Text    string `json:"text"`
}

// StartRecording turns moto's request recorder on (idempotent). Requests
// made before it are not recorded.
func StartRecording(ctx context.Context, endpoint string) error {
	return call(ctx, http.MethodPost, endpoint+"/moto-api/recorder/start-recording", nil)
}

func call(ctx context.Context, method, u string, out io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("outbox: %s %s: %s", method, u, resp.Status)
	}
	if out != nil {
		_, err = io.Copy(out, resp.Body)
	}
	return err
}

type entry struct {
	Headers map[string]string `json:"headers"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Body    string            `json:"body"`
	Encoded bool              `json:"body_encoded"`
}

// Read returns every message sent since the recorder was started.
func Read(ctx context.Context, endpoint string) ([]Message, error) {
	var buf bytes.Buffer
	if err := call(ctx, http.MethodGet, endpoint+"/moto-api/recorder/download-recording", &buf); err != nil {
		return nil, err
	}
	return Parse(&buf)
}

// Parse reads a moto recording (JSON lines) and returns its sends.
func Parse(r io.Reader) ([]Message, error) {
	var out []Message
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var e entry
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.Method != http.MethodPost {
			continue
		}
		body := []byte(e.Body)
		if e.Encoded {
			b, err := base64.StdEncoding.DecodeString(e.Body)
			if err != nil {
				continue
			}
			body = b
		}
		if m, ok := parseEntry(e, body); ok {
			out = append(out, m)
		}
	}
	return out, sc.Err()
}

// service is the signing name in the request's credential scope.
func service(h map[string]string) string {
	for k, v := range h {
		if strings.EqualFold(k, "Authorization") {
			// Credential=KEY/DATE/REGION/SERVICE/aws4_request
			if _, cred, ok := strings.Cut(v, "Credential="); ok {
				parts := strings.Split(strings.SplitN(cred, ",", 2)[0], "/")
				if len(parts) >= 4 {
					return parts[3]
				}
			}
		}
	}
	return ""
}

func parseEntry(e entry, body []byte) (Message, bool) {
	u, err := url.Parse(e.URL)
	if err != nil {
		return Message{}, false
	}
	switch svc := service(e.Headers); {
	case svc == "sns":
		f, err := url.ParseQuery(string(body))
		if err != nil || f.Get("Action") != "Publish" || f.Get("PhoneNumber") == "" {
			return Message{}, false
		}
		return Message{Channel: "sms", To: f.Get("PhoneNumber"), Text: f.Get("Message")}, true
	case svc == "ses" && u.Path == "/v2/email/outbound-emails":
		var in struct {
			Destination struct{ ToAddresses []string }
			Content     struct {
				Simple struct {
					Subject struct{ Data string }
					Body    struct{ Text struct{ Data string } }
				}
			}
		}
		if json.Unmarshal(body, &in) != nil || len(in.Destination.ToAddresses) == 0 {
			return Message{}, false
		}
		return Message{Channel: "email", To: strings.Join(in.Destination.ToAddresses, ","),
			Subject: in.Content.Simple.Subject.Data, Text: in.Content.Simple.Body.Text.Data}, true
	}
	return Message{}, false
}
