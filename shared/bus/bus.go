// Package bus defines the events Redress publishes on its EventBridge bus:
// their source, detail-types, detail shapes and deterministic ids. The
// JSON Schemas in events/schemas are the published contract; these types
// produce documents that satisfy them (tests check every emitted event),
// and docs/events.md explains them.
//
// Details carry ids and non-sensitive fields only, never a ticket's title,
// description, reporter, free JSON or a comment's text: the bus fans out
// to consumers with weaker controls than the grievance store, and who may
// read a grievance is decided by the API, not by a bus rule.
package bus

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/redress-grm/redress/shared/grievance"
)

// Source is the source of every event Redress publishes.
const Source = "redress.grievance"

// DetailVersion is the version of every detail shape below; a change that
// is not backward compatible gets a new version and new schema files
// (events/schemas/<detail-type>.v<N>.json).
const DetailVersion = 1

// Detail-types, one per business fact.
const (
	TicketCreated       = "ticket.created"
	TicketStaffAssigned = "ticket.staff-assigned"
	TicketStatusChanged = "ticket.status-changed"
	TicketResolved      = "ticket.resolved"
	TicketReopened      = "ticket.reopened"
	// TicketAppealed: a low rating of the outcome reopened the ticket
	// (grievance.RateOutcome); once per ticket.
	TicketAppealed = "ticket.appealed"
	TicketDeleted  = "ticket.deleted"
	CommentCreated = "comment.created"
	// CommentMadePublic: a comment was created public or marked public
	// (grievance.CommentMadePublic); the complainant can now read it.
	CommentMadePublic = "comment.made-public"
	TaskRequested     = "task.requested"
	// An attachment's file passed the scan and joined its ticket, was
	// found infected (and quarantined), or was removed.
	AttachmentAdded    = "attachment.added"
	AttachmentInfected = "attachment.infected"
	AttachmentRemoved  = "attachment.removed"
	// Published by the service-level sweep (functions/sla), not the stream.
	TicketOverdue   = "ticket.overdue"
	TicketEscalated = "ticket.escalated"
)

// DetailTypes lists every detail-type, in the order docs/events.md has them.
var DetailTypes = []string{TicketCreated, TicketStaffAssigned, TicketStatusChanged, TicketResolved,
	TicketReopened, TicketAppealed, TicketDeleted, CommentCreated, CommentMadePublic, TaskRequested, TicketOverdue, TicketEscalated,
	AttachmentAdded, AttachmentInfected, AttachmentRemoved}

// Entity types, as events and task requests name them.
const (
	EntityTicket     = "ticket"
	EntityComment    = "comment"
	EntityAttachment = "attachment"
)

// namespace is the UUID v5 namespace of event ids. Never change it: ids
// would change with it and consumers would take redelivered events for
// new ones.
var namespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/redress-grm/redress/events"))

// EventID returns the id of the event of detailType about version of an
// entity. It is a UUID v5 of those four values, so the same fact always
// gets the same id, however often the stream delivers it.
func EventID(entityType, entityID string, version int, detailType string) string {
	return uuid.NewSHA1(namespace, fmt.Appendf(nil, "%s/%s/%d/%s", entityType, entityID, version, detailType)).String()
}

// DueEventID returns the id of an event of the service-level sweep about a
// ticket and one of its due dates: level 0 for ticket.overdue, the
// escalation level otherwise. The sweep publishes each step once per due
// date, whatever the ticket's version, so the id does not depend on it.
func DueEventID(ticketID, dueDate string, level int, detailType string) string {
	return uuid.NewSHA1(namespace, fmt.Appendf(nil, "%s/%s/due/%s/%d/%s", EntityTicket, ticketID, dueDate, level, detailType)).String()
}

// SLAActor is the actor of the sweep's events: no user made them.
const SLAActor = "redress:sla"

// Header starts every detail.
type Header struct {
	// EventID identifies the fact: consumers drop events whose id they saw.
	EventID       string `json:"eventId"`
	DetailVersion int    `json:"detailVersion"`
	// OccurredAt is when the change was made (the item's dateUpdated).
	OccurredAt time.Time `json:"occurredAt"`
	// Actor is the id of the user who made the change.
	Actor string `json:"actor"`
	// Mutation names the API mutation that made the change, when known.
	Mutation string `json:"mutation,omitempty"`
}

// Ticket is the non-sensitive summary of a ticket at one version.
type Ticket struct {
	ID               string `json:"id"`
	Code             string `json:"code"`
	Version          int    `json:"version"`
	Status           string `json:"status"`
	Category         string `json:"category,omitempty"`
	Priority         string `json:"priority,omitempty"`
	Channel          string `json:"channel,omitempty"`
	Flags            string `json:"flags,omitempty"`
	DueDate          string `json:"dueDate,omitempty"` // YYYY-MM-DD
	AttendingStaffID string `json:"attendingStaffId,omitempty"`
	IsDeleted        bool   `json:"isDeleted"`
}

// TicketOf returns the summary of what the domain lets leave the store
// (grievance.Config.Disclose decides what that is).
func TicketOf(d grievance.Disclosure) Ticket {
	return Ticket{ID: d.ID, Code: d.Code, Version: d.Version, Status: string(d.Status),
		Category: d.Category, Priority: d.Priority, Channel: d.Channel, Flags: d.Flags, DueDate: d.DueDate,
		AttendingStaffID: d.AttendingStaffID, IsDeleted: d.IsDeleted}
}

// TicketRef names a ticket where its summary is not known.
type TicketRef struct {
	ID string `json:"id"`
}

// Comment is the non-sensitive summary of a comment: never its text nor
// who it names as commenter.
type Comment struct {
	ID           string `json:"id"`
	Version      int    `json:"version"`
	IsResolution bool   `json:"isResolution"`
}

// Attachment is the summary of an attachment: ids and metadata, never its
// file name (which may say what a confidential grievance is about).
type Attachment struct {
	ID          string `json:"id"`
	Version     int    `json:"version"`
	Status      string `json:"status"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
}

// AttachmentDetail is the detail of attachment.added, attachment.infected
// and attachment.removed.
type AttachmentDetail struct {
	Header
	Ticket     TicketRef  `json:"ticket"`
	Attachment Attachment `json:"attachment"`
}

// TicketDetail is the detail of ticket.created and ticket.deleted.
type TicketDetail struct {
	Header
	Ticket Ticket `json:"ticket"`
}

// StatusDetail is the detail of ticket.status-changed, ticket.resolved,
// ticket.reopened and ticket.appealed.
type StatusDetail struct {
	Header
	Ticket         Ticket `json:"ticket"`
	PreviousStatus string `json:"previousStatus"`
}

// StaffDetail is the detail of ticket.staff-assigned. Ticket's
// attendingStaffId is absent when the staff was removed.
type StaffDetail struct {
	Header
	Ticket                   Ticket `json:"ticket"`
	PreviousAttendingStaffID string `json:"previousAttendingStaffId,omitempty"`
}

// CommentDetail is the detail of comment.created and comment.made-public.
type CommentDetail struct {
	Header
	Ticket  TicketRef `json:"ticket"`
	Comment Comment   `json:"comment"`
}

// Task request values, after openIMIS tasks_management.
const (
	TaskSource              = "TicketService"
	TaskExecutorActionEvent = "default"
	TaskStatusReceived      = "RECEIVED"
	// Business events: why someone must act on the ticket.
	TaskCreate = "TicketService.create" // created with an attending staff
	TaskAssign = "TicketService.assign" // attending staff set or changed
	TaskReopen = "TicketService.reopen" // reopened
	// TaskEscalate: the ticket is overdue and reached an escalation level.
	TaskEscalate = "TicketService.escalate"
)

// BusinessEvent returns the business event of a task request for the
// domain's reason.
func BusinessEvent(t grievance.Task) string {
	switch t {
	case grievance.TaskCreate:
		return TaskCreate
	case grievance.TaskAssign:
		return TaskAssign
	case grievance.TaskReopen:
		return TaskReopen
	case grievance.TaskEscalate:
		return TaskEscalate
	}
	return TaskSource + "." + string(t)
}

// Task is a request for the task system, shaped after an openIMIS Task.
type Task struct {
	Source              string `json:"source"`
	EntityType          string `json:"entityType"`
	EntityID            string `json:"entityId"`
	ExecutorActionEvent string `json:"executorActionEvent"`
	BusinessEvent       string `json:"businessEvent"`
	// BusinessStatus maps executor user ids to APPROVED or FAILED; empty
	// when requested.
	BusinessStatus map[string]string `json:"businessStatus"`
	Status         string            `json:"status"`
	// Assignee is the attending staff, when there is one.
	Assignee string `json:"assignee,omitempty"`
	// Group routes the task when no one is assigned: the ticket's
	// category, or an escalation level's group.
	Group string `json:"group,omitempty"`
	// Role is the role an escalation level sends the ticket to.
	Role string `json:"role,omitempty"`
}

// TaskDetail is the detail of task.requested.
type TaskDetail struct {
	Header
	Task   Task   `json:"task"`
	Ticket Ticket `json:"ticket"`
}

// OverdueDetail is the detail of ticket.overdue: the ticket's due date ran
// out while it was open.
type OverdueDetail struct {
	Header
	Ticket Ticket `json:"ticket"`
}

// Escalation is one escalation level reached by an overdue ticket.
type Escalation struct {
	// Level counts from 1, in the order the configuration lists levels.
	Level      int    `json:"level"`
	AfterHours int    `json:"afterHours"`
	Role       string `json:"role,omitempty"`
	Group      string `json:"group,omitempty"`
}

// EscalationDetail is the detail of ticket.escalated.
type EscalationDetail struct {
	Header
	Ticket     Ticket     `json:"ticket"`
	Escalation Escalation `json:"escalation"`
}

// Event is one event to publish.
type Event struct {
	DetailType string
	// Detail is one of the *Detail types of this package.
	Detail any
	// Time is the event's time on the bus (the change's time).
	Time time.Time
	// Group orders publication: an event is not sent while an earlier
	// event of its group is unpublished (Publisher.Publish). The zero
	// value is one group, so by default everything keeps its order.
	Group string
}
