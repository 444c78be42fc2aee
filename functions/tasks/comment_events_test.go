package main

import (
	"slices"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/bus"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

// Ensure a comment that becomes readable by the complainant (created
// public, or marked public later) publishes comment.made-public, once,
// beside comment.created on creation.
func TestEvents_CommentMadePublic(t *testing.T) {
	at := time.Date(2026, 11, 27, 0, 10, 0, 0, time.UTC)
	comment := func(version int, public, deleted bool) *grievance.Comment {
		return &grievance.Comment{ID: "b1c2d3e4-5f60-4a7b-8c9d-0e1f2a3b4c5d", TicketID: "3f8b6c2e-1d4a-4e7b-9a51-6c0d2e9f7b13",
			Version: version, Public: public, IsDeleted: deleted, DateUpdated: at, UserUpdated: "u1"}
	}
	tests := []struct {
		name     string
		event    string
		old, new *grievance.Comment
		want     []string
	}{
		{"created private: created only", store.EventInsert, nil, comment(1, false, false), []string{bus.CommentCreated}},
		{"created public: created, then made public", store.EventInsert, nil, comment(1, true, false), []string{bus.CommentCreated, bus.CommentMadePublic}},
		{"marked public later", store.EventModify, comment(1, false, false), comment(2, true, false), []string{bus.CommentMadePublic}},
		{"edited while public: nothing", store.EventModify, comment(2, true, false), comment(3, true, false), nil},
		{"made private: nothing", store.EventModify, comment(2, true, false), comment(3, false, false), nil},
		{"deleted while public: nothing", store.EventModify, comment(2, true, false), comment(3, true, true), nil},
		{"modify without the old image: nothing", store.EventModify, nil, comment(2, true, false), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := &store.Change{EventName: tt.event, Kind: store.KindComment, Comment: tt.new, OldComment: tt.old, LastMutation: "updateComment"}
			var got []string
			for _, e := range Events(ch, nil) {
				got = append(got, e.DetailType)
				d, ok := e.Detail.(*bus.CommentDetail)
				if !ok || d.Ticket.ID != tt.new.TicketID || d.Comment.ID != tt.new.ID || d.EventID == "" {
					t.Fatalf("%s detail %+v", e.DetailType, e.Detail)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("events %v, want %v", got, tt.want)
			}
		})
	}
}
