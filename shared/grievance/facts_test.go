package grievance_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
)

// Ensure every kind of ticket change yields its business facts, in
// order, and at most one task request.
func TestChangeOf_FactsOfEachChange(t *testing.T) {
	base := grievance.Ticket{ID: "t", Version: 2, Status: grievance.StatusOpen, AttendingStaffID: "s1"}
	with := func(f func(*grievance.Ticket)) *grievance.Ticket {
		c := base
		f(&c)
		return &c
	}
	const (
		created  = grievance.FactCreated
		deleted  = grievance.FactDeleted
		status   = grievance.FactStatusChanged
		resolved = grievance.FactResolved
		reopened = grievance.FactReopened
		staffed  = grievance.FactStaffAssigned
	)
	for _, tc := range []struct {
		name     string
		old, new *grievance.Ticket
		op       string
		facts    []grievance.Fact
		task     grievance.Task
	}{
		{"CreatedWithStaffAsksTheStaff", nil, &base, "createTicket", []grievance.Fact{created}, grievance.TaskCreate},
		{"CreatedWithoutStaffAsksNoOne", nil, with(func(t *grievance.Ticket) { t.AttendingStaffID = "" }), "createTicket", []grievance.Fact{created}, ""},
		{"DeletedIsOnlyDeleted", &base, with(func(t *grievance.Ticket) { t.IsDeleted, t.Status = true, grievance.StatusClosed }), "deleteTicket", []grievance.Fact{deleted}, ""},
		{"ChangesOfADeletedTicketAreNone", with(func(t *grievance.Ticket) { t.IsDeleted = true }), with(func(t *grievance.Ticket) { t.IsDeleted, t.AttendingStaffID = true, "s2" }), "updateTicket", nil, ""},
		{"StatusSetByUpdateIsNoResolution", &base, with(func(t *grievance.Ticket) { t.Status = grievance.StatusClosed }), "updateTicket", []grievance.Fact{status}, ""},
		{"ResolveByCommentResolves", &base, with(func(t *grievance.Ticket) { t.Status = grievance.StatusClosed }), grievance.OpResolveByComment, []grievance.Fact{status, resolved}, ""},
		{"ReopenReopensAndAsksTheStaff", with(func(t *grievance.Ticket) { t.Status = grievance.StatusClosed }), &base, grievance.OpReopen, []grievance.Fact{status, reopened}, grievance.TaskReopen},
		{"OpenStatusSetByUpdateIsNoReopening", with(func(t *grievance.Ticket) { t.Status = grievance.StatusClosed }), &base, "updateTicket", []grievance.Fact{status}, ""},
		{"ReassignedAsksTheNewStaff", &base, with(func(t *grievance.Ticket) { t.AttendingStaffID = "s2" }), "updateTicket", []grievance.Fact{staffed}, grievance.TaskAssign},
		{"UnassignedAsksNoOne", &base, with(func(t *grievance.Ticket) { t.AttendingStaffID = "" }), "updateTicket", []grievance.Fact{staffed}, ""},
		{"ReopenedAndReassignedAsksOnceForTheReopening", with(func(t *grievance.Ticket) { t.Status = grievance.StatusClosed }), with(func(t *grievance.Ticket) { t.AttendingStaffID = "s2" }), grievance.OpReopen, []grievance.Fact{status, reopened, staffed}, grievance.TaskReopen},
		{"OtherFieldsAreNoFact", &base, with(func(t *grievance.Ticket) { t.Title = "new" }), "updateTicket", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := grievance.ChangeOf(tc.old, tc.new, tc.op)
			if !slices.Equal(got.Facts, tc.facts) || got.Task != tc.task {
				t.Fatalf("facts=%v task=%q, want %v %q", got.Facts, got.Task, tc.facts, tc.task)
			}
		})
	}
}

// Ensure a comment's one fact is its creation.
func TestCommentCreated_OnlyANewLiveComment(t *testing.T) {
	c := &grievance.Comment{ID: "c"}
	for _, tc := range []struct {
		name     string
		old, new *grievance.Comment
		want     bool
	}{
		{"New", nil, c, true},
		{"NewButDeleted", nil, &grievance.Comment{ID: "c", IsDeleted: true}, false},
		{"Changed", c, c, false},
		{"Removed", c, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := grievance.CommentCreated(tc.old, tc.new); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// Ensure an event reveals ids and workflow state only of a ticket that is,
// or was before the change, in a confidential category.
func TestDisclose_ConfidentialTicketsKeepIdsAndWorkflowOnly(t *testing.T) {
	cfg, err := grievance.ParseConfig([]byte(`{"grievance_types": ["Default", "GBV", "Named"],
		"restricted_categories": {"GBV": ["127010"]}, "grievance_anonymized_fields": {"Named": ["reporter"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	tk := func(category string) *grievance.Ticket {
		return &grievance.Ticket{ID: "t", Code: "GRS00000001", Version: 3, Status: grievance.StatusOpen, AttendingStaffID: "s",
			Category: category, Priority: "High", Channel: "Phone", Flags: "Urgent", DueDate: "2026-12-01", Title: "secret"}
	}
	full := func(category string) grievance.Disclosure {
		return grievance.Disclosure{ID: "t", Code: "GRS00000001", Version: 3, Status: grievance.StatusOpen, AttendingStaffID: "s",
			Category: category, Priority: "High", Channel: "Phone", Flags: "Urgent", DueDate: "2026-12-01"}
	}
	bare := grievance.Disclosure{ID: "t", Code: "GRS00000001", Version: 3, Status: grievance.StatusOpen, AttendingStaffID: "s"}
	for _, tc := range []struct {
		name     string
		old, new *grievance.Ticket
		want     grievance.Disclosure
	}{
		{"OrdinaryInFull", nil, tk("Default"), full("Default")},
		{"Restricted", nil, tk("GBV"), bare},
		{"Anonymized", nil, tk("Named"), bare},
		{"MovedOutOfConfidential", tk("GBV"), tk("Default"), bare},
		{"MovedIntoConfidential", tk("Default"), tk("GBV"), bare},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := cfg.Disclose(tc.old, tc.new); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// Ensure the sweep's steps fall due at the end of the due date and each
// escalation level after_hours later.
func TestStepsDue_OverdueThenLevelsInOrder(t *testing.T) {
	cfg, err := grievance.ParseConfig([]byte(`{"escalation_levels": {"Default": [{"after_hours": 0, "role": "supervisor"}, {"after_hours": 48, "group": "grm-unit"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	open := &grievance.Ticket{ID: "t", Status: grievance.StatusOpen, Category: "Default", DueDate: "2026-11-20"}
	for _, tc := range []struct {
		name string
		t    *grievance.Ticket
		now  time.Time
		want []int
	}{
		{"OnItsDueDate", open, at("2026-11-20 23:59"), nil},
		{"DueDateRanOut", open, at("2026-11-21 00:00"), []int{0, 1}},
		{"BeforeTheSecondLevel", open, at("2026-11-22 23:59"), []int{0, 1}},
		{"SecondLevel", open, at("2026-11-23 00:00"), []int{0, 1, 2}},
		{"CategoryWithoutLevels", &grievance.Ticket{Status: grievance.StatusOpen, Category: "Other", DueDate: "2026-11-20"}, at("2026-12-20 00:00"), []int{0}},
		{"Resolved", &grievance.Ticket{Status: grievance.StatusResolved, Category: "Default", DueDate: "2026-11-20"}, at("2026-12-20 00:00"), nil},
		{"NoDueDate", &grievance.Ticket{Status: grievance.StatusOpen, Category: "Default"}, at("2026-12-20 00:00"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := cfg.StepsDue(tc.t, tc.now); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// Ensure the commenter is shown to holders of the comment-query right and
// to the attending staff of the comment's ticket only, and that the ticket
// is read only when the right is missing.
func TestMayReadCommenter_RightOrAttendingStaff(t *testing.T) {
	cfg := grievance.DefaultConfig()
	staffer := &grievance.Principal{ID: "s", Rights: map[string]bool{}}
	reader := &grievance.Principal{ID: "r", Rights: map[string]bool{cfg.QueryCommentsPerms[0]: true}}
	attended := &grievance.Ticket{ID: "t", AttendingStaffID: "s"}
	failing := errors.New("read failed")
	for _, tc := range []struct {
		name   string
		p      *grievance.Principal
		ticket *grievance.Ticket
		err    error
		want   grievance.Code
	}{
		{"NoPrincipal", nil, attended, nil, grievance.CodeUnauthenticated},
		{"Right", reader, nil, failing, ""},
		{"AttendingStaff", staffer, attended, nil, ""},
		{"StaffOfAnotherTicket", staffer, &grievance.Ticket{ID: "u", AttendingStaffID: "x"}, nil, grievance.CodeForbidden},
		{"TicketHidden", staffer, nil, nil, grievance.CodeForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := grievance.MayReadCommenter(cfg, tc.p, func() (*grievance.Ticket, error) { return tc.ticket, tc.err })
			if got := grievance.ErrorCode(err); got != tc.want {
				t.Fatalf("code=%q (%v), want %q", got, err, tc.want)
			}
		})
	}
}
