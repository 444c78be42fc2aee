package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/redress-grm/redress/infra/local/outbox"
)

// outboxCommand prints the SMS and e-mails sent through the emulator, one
// per line: channel, recipient, text (an e-mail's subject, then its body).
// --follow keeps printing new ones until interrupted.
func outboxCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("outbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	follow := fs.Bool("follow", false, "keep printing messages as they are sent, until interrupted")
	every := fs.Duration("interval", time.Second, "with --follow, how often to look")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: local outbox [--follow]\n\n"+
			"Prints every SMS and e-mail sent through the emulator at $AWS_ENDPOINT_URL\n"+
			"(default %s) since the local stack started: channel, recipient, text.\n\n", defaultEndpoint)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	endpoint := strings.TrimRight(envOr(getenv, "AWS_ENDPOINT_URL", defaultEndpoint), "/")
	printed := 0
	for {
		msgs, err := outbox.Read(ctx, endpoint)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("outbox (is the local stack running?): %w", err)
		}
		for _, m := range msgs[min(printed, len(msgs)):] {
			fmt.Fprintln(stdout, formatMessage(m))
		}
		printed = max(printed, len(msgs))
		if !*follow {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(*every):
		}
	}
}

func formatMessage(m outbox.Message) string {
	text := m.Text
	if m.Subject != "" {
		text = m.Subject + " | " + text
	}
	return fmt.Sprintf("%-5s %-28s %s", m.Channel, m.To, strings.ReplaceAll(text, "\n", " / "))
}
