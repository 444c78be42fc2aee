package store

import "github.com/redress-grm/redress/shared/grievance"

// contactItem is a ticket's contact block, stored as a map attribute of
// the ticket (docs/data-model.md). Phone and e-mail are personal data; the
// stream consumers never copy them into events.
type contactItem struct {
	Name      string `dynamo:"name,omitempty"`
	Phone     string `dynamo:"phone,omitempty"`
	Email     string `dynamo:"email,omitempty"`
	Sex       string `dynamo:"sex,omitempty"`
	AgeBand   string `dynamo:"ageBand,omitempty"`
	Location  string `dynamo:"location,omitempty"`
	Language  string `dynamo:"language,omitempty"`
	Anonymous bool   `dynamo:"anonymous,omitempty"`
}

func toContactItem(c *grievance.Contact) *contactItem {
	if c == nil {
		return nil
	}
	it := contactItem(*c)
	return &it
}

func (it *contactItem) contact() *grievance.Contact {
	if it == nil {
		return nil
	}
	c := grievance.Contact(*it)
	return &c
}
