package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/google/uuid"

	"github.com/redress-grm/redress/infra/local/moto"
)

// The public intake of the local stack (docs/intake.md; the stack side is
// infra/local/stack/intake.go): the inbound SMS topic standing for the one
// AWS End User Messaging publishes to, and the webhook's token.
const (
	defaultSMSTopic     = "redress-local-sms-inbound"
	defaultSMSQueue     = "redress-local-sms-inbound"
	defaultWebhookToken = "local-webhook-token"
	defaultSMSNumber    = "+258840000001"
)

// limitVars are the abuse limits of the public routes (docs/intake.md);
// `run` passes them through to the functions, so that a developer can
// watch them bite.
var limitVars = []string{"INTAKE_PER_SOURCE", "TRACK_PER_SOURCE", "TRACK_PER_CODE", "WEBHOOK_PER_SENDER", "INTAKE_TOTAL",
	"RATE_WINDOW_SECONDS", "SMS_PER_SENDER", "PROOF_OF_WORK_BITS"}

func limitEnv(getenv func(string) string) []string {
	var env []string
	for _, k := range limitVars {
		if v := getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// smsCommand publishes an inbound SMS to the local topic exactly as AWS
// End User Messaging would.
func smsCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sms", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "the sender's phone number (E.164), e.g. +258841234567")
	text := fs.String("text", "", "the message text")
	to := fs.String("to", defaultSMSNumber, "the programme's number the message was sent to")
	id := fs.String("id", "", "inbound message id (default: a new one; repeat one to simulate a redelivery)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: local sms -from +258841234567 -text \"PAY I was not paid\" [-id ID]\n\n"+
			"Publishes an inbound SMS to the local topic ($SMS_TOPIC_NAME, default %s) at\n"+
			"$AWS_ENDPOINT_URL (default %s); the sms function files it and replies by SMS.\n\n", defaultSMSTopic, defaultEndpoint)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" {
		fs.Usage()
		return fmt.Errorf("sms: -from is required")
	}
	if *id == "" {
		*id = uuid.NewString()
	}
	cfg, err := moto.AWSConfig(ctx, envOr(getenv, "AWS_ENDPOINT_URL", defaultEndpoint))
	if err != nil {
		return err
	}
	sn := sns.NewFromConfig(cfg)
	topic, err := sn.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(envOr(getenv, "SMS_TOPIC_NAME", defaultSMSTopic))})
	if err != nil {
		return fmt.Errorf("sms: topic (is the local stack running?): %w", err)
	}
	msg, _ := json.Marshal(map[string]string{"originationNumber": *from, "destinationNumber": *to,
		"messageKeyword": "KEYWORD_LOCAL", "messageBody": *text, "inboundMessageId": *id, "previousPublishedMessageId": ""})
	if _, err := sn.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String(string(msg))}); err != nil {
		return fmt.Errorf("sms: publish: %w", err)
	}
	fmt.Fprintf(stdout, "published inbound SMS %s\n", *id)
	return nil
}
