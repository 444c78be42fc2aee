package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/redress-grm/redress/infra/local/moto"
)

const (
	defaultEndpoint  = "http://127.0.0.1:4566"
	defaultQueueName = "redress-local-events"
)

// eventsCommand drains the queue that receives every event of the local
// bus and prints one event per line. Each event is deleted once printed,
// so every event is shown once.
func eventsCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("events", flag.ContinueOnError)
	fs.SetOutput(stderr)
	follow := fs.Bool("follow", false, "keep waiting for new events until interrupted")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: local events [--follow]\n\n"+
			"Prints the events on the local bus (queue $EVENTS_QUEUE_NAME, default %s)\n"+
			"from the emulator at $AWS_ENDPOINT_URL (default %s), one JSON per line.\n\n", defaultQueueName, defaultEndpoint)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := moto.AWSConfig(ctx, envOr(getenv, "AWS_ENDPOINT_URL", defaultEndpoint))
	if err != nil {
		return err
	}
	q := sqs.NewFromConfig(cfg)
	name := envOr(getenv, "EVENTS_QUEUE_NAME", defaultQueueName)
	u, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("events: queue %s (is the local stack running?): %w", name, err)
	}
	wait := int32(1)
	if *follow {
		wait = 10
	}
	for {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:            u.QueueUrl,
			MaxNumberOfMessages: 10,
			WaitTimeSeconds:     wait,
		})
		if ctx.Err() != nil {
			return nil // interrupted: the normal way to end --follow
		}
		if err != nil {
			return fmt.Errorf("events: receive: %w", err)
		}
		for _, m := range out.Messages {
			body := []byte(aws.ToString(m.Body))
			var line bytes.Buffer
			if json.Compact(&line, body) != nil {
				line.Reset()
				line.Write(body)
			}
			line.WriteByte('\n')
			if _, err := stdout.Write(line.Bytes()); err != nil {
				return err
			}
			if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: u.QueueUrl, ReceiptHandle: m.ReceiptHandle}); err != nil && !errors.Is(err, context.Canceled) {
				return fmt.Errorf("events: delete: %w", err)
			}
		}
		if len(out.Messages) == 0 && !*follow {
			return nil
		}
	}
}
