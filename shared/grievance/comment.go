package grievance

import "time"

// Comment is a remark on a ticket; a resolution comment closes it.
type Comment struct {
	ID            string
	TicketID      string
	Version       int
	IsDeleted     bool
	CommenterType PersonType
	CommenterID   string
	Comment       string
	IsResolution  bool
	// Public comments are shown to the complainant through tracking
	// (docs/intake.md); comments are private unless staff say otherwise.
	Public      bool
	JSONExt     map[string]any
	DateCreated time.Time
	DateUpdated time.Time
	UserCreated string
	UserUpdated string
}

// Clone returns a copy of c for an update to modify.
func (c *Comment) Clone() *Comment {
	d := *c
	d.JSONExt = cloneJSONObject(c.JSONExt)
	return &d
}

// Validate checks the shape of c's fields.
func (c *Comment) Validate() error {
	if c.Comment == "" {
		return Errorf(CodeInvalid, "comment must not be empty.")
	}
	if err := checkText("comment", c.Comment, maxLongText, true); err != nil {
		return err
	}
	if err := checkText("commenterId", c.CommenterID, maxShortText, false); err != nil {
		return err
	}
	if (c.CommenterType == "") != (c.CommenterID == "") {
		return Errorf(CodeInvalid, "commenterType and commenterId must be given together.")
	}
	return checkJSONExt(c.JSONExt)
}
