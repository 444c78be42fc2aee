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

// eventsCommand prints the events of the local bus, one JSON per line,
// from the queue that receives all of them. Without --follow it only
// peeks: the messages it read are made visible again before it returns,
// so another reader (a test, a second terminal, a later run) still sees
// them. --follow consumes: it deletes what it printed, so a long-running
// follower shows each event once.
func eventsCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("events", flag.ContinueOnError)
	fs.SetOutput(stderr)
	follow := fs.Bool("follow", false, "keep waiting for new events until interrupted, deleting each one printed")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: local events [--follow]\n\n"+
			"Prints the events on the local bus (queue $EVENTS_QUEUE_NAME, default %s)\n"+
			"from the emulator at $AWS_ENDPOINT_URL (default %s), one JSON per line.\n"+
			"Without --follow the events stay in the queue for other readers.\n\n", defaultQueueName, defaultEndpoint)
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
	if *follow {
		return followEvents(ctx, q, u.QueueUrl, stdout)
	}
	return peekEvents(ctx, q, u.QueueUrl, stdout)
}

// peekVisibility hides a message from other readers while peekEvents
// collects the rest; long enough for a queue of a few thousand events.
const peekVisibility = 30

func peekEvents(ctx context.Context, q *sqs.Client, url *string, stdout io.Writer) (err error) {
	var held []*string
	defer func() {
		// Release even when interrupted: the point is to leave the queue as it was.
		for _, h := range held {
			if _, cerr := q.ChangeMessageVisibility(context.WithoutCancel(ctx), &sqs.ChangeMessageVisibilityInput{
				QueueUrl: url, ReceiptHandle: h, VisibilityTimeout: 0,
			}); cerr != nil && err == nil {
				err = fmt.Errorf("events: release: %w", cerr)
			}
		}
	}()
	for {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:            url,
			MaxNumberOfMessages: 10,
			WaitTimeSeconds:     1,
			VisibilityTimeout:   peekVisibility,
		})
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("events: receive: %w", err)
		}
		if len(out.Messages) == 0 {
			return nil
		}
		for _, m := range out.Messages {
			held = append(held, m.ReceiptHandle)
			if err := printEvent(stdout, m.Body); err != nil {
				return err
			}
		}
	}
}

func followEvents(ctx context.Context, q *sqs.Client, url *string, stdout io.Writer) error {
	for {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:            url,
			MaxNumberOfMessages: 10,
			WaitTimeSeconds:     10,
		})
		if ctx.Err() != nil {
			return nil // interrupted: the normal way to end --follow
		}
		if err != nil {
			return fmt.Errorf("events: receive: %w", err)
		}
		for _, m := range out.Messages {
			if err := printEvent(stdout, m.Body); err != nil {
				return err
			}
			if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: url, ReceiptHandle: m.ReceiptHandle}); err != nil && !errors.Is(err, context.Canceled) {
				return fmt.Errorf("events: delete: %w", err)
			}
		}
	}
}

func printEvent(stdout io.Writer, body *string) error {
	raw := []byte(aws.ToString(body))
	var line bytes.Buffer
	if json.Compact(&line, raw) != nil {
		line.Reset()
		line.Write(raw)
	}
	line.WriteByte('\n')
	_, err := stdout.Write(line.Bytes())
	return err
}
