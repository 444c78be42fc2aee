package main

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/infra/local/outbox"
	"github.com/redress-grm/redress/shared/grievance"
)

func TestMain(m *testing.M) { os.Exit(moto.Main(m)) }

// Ensure the sender's SMS and e-mail reach the emulator as the real
// services take them (SNS Publish to a phone number, SES v2 SendEmail from
// a verified identity), that the outbox reads them back, and that a
// refusal the provider will repeat (unverified sender) is not retried.
func TestSender_Moto(t *testing.T) {
	ctx := context.Background()
	m := moto.ForTest(t)
	cfg, err := moto.AWSConfig(ctx, m.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	if err := outbox.StartRecording(ctx, m.Endpoint()); err != nil {
		t.Fatal(err)
	}
	if err := bootstrap.VerifySender(ctx, cfg, "noreply@redress.test"); err != nil {
		t.Fatal(err)
	}
	s := &Sender{SMS: sns.NewFromConfig(cfg), Email: sesv2.NewFromConfig(cfg), From: "noreply@redress.test", SenderID: "Redress"}
	for _, tc := range []struct {
		name string
		from string
		to   string
		m    grievance.Rendered
		want grievance.Code
		read *outbox.Message
	}{
		{"SMS", "", "+67077100001", grievance.Rendered{Channel: grievance.ChannelSMS, Body: "Your case GRS00000007 has been updated."}, "",
			&outbox.Message{Channel: "sms", To: "+67077100001", Text: "Your case GRS00000007 has been updated."}},
		{"Email", "", "complainant@example.org", grievance.Rendered{Channel: grievance.ChannelEmail, Subject: "Your grievance GRS00000007", Body: "Resolved."}, "",
			&outbox.Message{Channel: "email", To: "complainant@example.org", Subject: "Your grievance GRS00000007", Text: "Resolved."}},
		{"UnverifiedSender", "nobody@elsewhere.test", "x@example.org", grievance.Rendered{Channel: grievance.ChannelEmail, Subject: "s", Body: "b"}, grievance.CodeInternal, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snd := *s
			if tc.from != "" {
				snd.From = tc.from
			}
			err := snd.Send(ctx, tc.to, &tc.m)
			if got := grievance.ErrorCode(err); got != tc.want {
				t.Fatalf("code %q (%v), want %q", got, err, tc.want)
			}
			if tc.read == nil {
				return
			}
			msgs, err := outbox.Read(ctx, m.Endpoint())
			if err != nil {
				t.Fatal(err)
			}
			for _, got := range msgs {
				if got == *tc.read {
					return
				}
			}
			t.Fatalf("outbox %+v lacks %+v", msgs, *tc.read)
		})
	}
}
