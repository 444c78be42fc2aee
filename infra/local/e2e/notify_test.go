package e2e_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/redress-grm/redress/infra/local/outbox"
	localstack "github.com/redress-grm/redress/infra/local/stack"
	"github.com/redress-grm/redress/shared/bus"
)

// sentTo waits until n messages to `to` are in the outbox (or wait ends)
// and returns them.
func (st *stack) sentTo(t *testing.T, to string, n int, wait time.Duration) []outbox.Message {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		all, err := outbox.Read(context.Background(), st.Endpoint)
		if err != nil {
			t.Fatal(err)
		}
		var got []outbox.Message
		for _, m := range all {
			if m.To == to {
				got = append(got, m)
			}
		}
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Ensure the notification loop through the local stack: a ticket with a
// phone gets one acknowledgement with its code, a resolve gives the
// outcome and the rating question, a redelivered event sends nothing
// twice, a confidential ticket's messages reveal nothing, and an invalid
// template is refused when the configuration is stored.
func TestNotifications(t *testing.T) {
	// Not recorded for the permission check yet: the call recorder
	// (shared/platform) does not name SNS, SES and SQS resources, and the
	// notifier is not in the configuration the check synthesizes.
	st := startStackEnv(t, nil, localstack.GraphQL, localstack.Tasks, localstack.Notifier)
	const phone = "+67077123456"

	cmid := st.mutate(t, "createTicket", fmt.Sprintf(`category: "Default", title: "Payment not received", contact: {phone: %q}`, phone))
	tk := nodes(t, st.gql(t, fmt.Sprintf(`{ tickets(clientMutationId: %q) { edges { node { id code } } } }`, cmid)), "tickets")
	id, code := rawID(t, tk[0]["id"]), fmt.Sprint(tk[0]["code"])
	got := st.sentTo(t, phone, 1, 30*time.Second)
	if len(got) != 1 || got[0].Channel != "sms" || !strings.Contains(got[0].Text, code) || !strings.Contains(got[0].Text, "We received") {
		t.Fatalf("acknowledgement: %+v", got)
	}

	// The bus redelivers the creation (same eventId): nothing more is sent.
	created := st.receive(t, 1, 30*time.Second)
	if len(created) == 0 || created[0].DetailType != bus.TicketCreated {
		t.Fatalf("events: %v", detailTypes(created))
	}
	eb := eventbridge.NewFromConfig(st.AWS)
	if _, err := eb.PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		EventBusName: aws.String(st.Bus.Name), Source: aws.String(bus.Source),
		DetailType: aws.String(created[0].DetailType), Detail: aws.String(string(created[0].Detail)),
	}}}); err != nil {
		t.Fatal(err)
	}

	st.mutate(t, "createComment", fmt.Sprintf(`ticketId: %q, comment: "paid on the 3rd"`, id))
	cs := nodes(t, st.gql(t, fmt.Sprintf(`{ comments(ticket_Id: %q) { edges { node { id } } } }`, id)), "comments")
	st.mutate(t, "resolveGrievanceByComment", fmt.Sprintf(`id: %q`, rawID(t, cs[0]["id"])))
	st.sentTo(t, phone, 3, 30*time.Second)
	time.Sleep(time.Second) // room for a duplicate to show up
	got = st.sentTo(t, phone, 4, 0)
	if len(got) != 3 || !strings.Contains(got[1].Text, "has been resolved") || !strings.Contains(got[2].Text, "Reply RATE "+code) {
		t.Fatalf("after resolve (and a redelivery), want acknowledgement, outcome, rating question: %+v", got)
	}

	// An invalid template never reaches the notifier.
	bad := `{\"notifications\": {\"templates\": {\"acknowledgement\": {\"en\": {\"sms\": \"Case {code}: {title}\"}}, \"neutral\": {\"en\": {\"sms\": \"x {code}\"}}, \"staff_neutral\": {\"en\": {\"email\": \"x\\n{link}\"}}}}}`
	st.gql(t, fmt.Sprintf(`mutation { updateGrievanceConfig(input: {config: "%s", clientMutationId: "bad-template"}) { internalId } }`, bad))
	n := nodes(t, st.gql(t, `{ mutationLogs(clientMutationId: "bad-template") { edges { node { status error } } } }`), "mutationLogs")
	if len(n) != 1 || !strings.Contains(fmt.Sprint(n[0]["error"]), "unknown placeholder {title}") {
		t.Fatalf("invalid template: log %v", n)
	}

	// A confidential category: the code and a neutral sentence only.
	st.mutate(t, "updateGrievanceConfig", `config: "{\"grievance_anonymized_fields\": {\"Category A\": [\"title\"]}}"`)
	const phone2 = "+67077999999"
	cmid = st.mutate(t, "createTicket", fmt.Sprintf(`category: "Category A", title: "Abuse by the agent", contact: {phone: %q}`, phone2))
	tk = nodes(t, st.gql(t, fmt.Sprintf(`{ tickets(clientMutationId: %q) { edges { node { code } } } }`, cmid)), "tickets")
	got = st.sentTo(t, phone2, 1, 30*time.Second)
	if len(got) != 1 || got[0].Text != fmt.Sprintf("Your case %s has been updated.", tk[0]["code"]) {
		t.Fatalf("confidential acknowledgement: %+v", got)
	}
}
