package grievance

import (
	"context"
	"slices"
	"strings"
)

// Pickers: finding the people a ticket can name (docs/directory.md). Every
// search path reads one index partition (never a table scan); the
// remaining criteria are checked on the records read.

// SearchPath names the index a directory search reads.
type SearchPath int

// Search paths.
const (
	SearchByName       SearchPath = iota // individuals or beneficiaries, by last name prefix
	SearchByExternalID                   // by registry id, exact
	SearchByPhone                        // by phone, exact
	SearchByProgramme                    // beneficiaries of a programme, by last name prefix
	SearchUsers                          // every staff user, by username
)

// PersonScan is one index read: Key is the external id, phone or
// programme code; Prefix narrows name-ordered paths to last names that
// start with it (lower case).
type PersonScan struct {
	Path   SearchPath
	Type   PersonType
	Key    string
	Prefix string
}

// Programme is a benefit plan: a programme named by imported beneficiaries.
type Programme struct {
	ID   string
	Code string
}

// DirectorySearch is what pickers need from storage.
type DirectorySearch interface {
	// ScanPeople calls fn for the records of one index partition in its
	// order until fn returns false.
	ScanPeople(ctx context.Context, q PersonScan, fn func(*Person) (bool, error)) error
	// ScanProgrammes calls fn for the programmes whose lower-cased code
	// starts with prefix, in code order.
	ScanProgrammes(ctx context.Context, prefix string, fn func(*Programme) (bool, error)) error
}

// PersonQuery is a picker's question.
type PersonQuery struct {
	Type       PersonType
	ID         string
	Name       string // individuals, beneficiaries: last name starts with it; users: username or a name contains it
	ExternalID string
	Phone      string
	Programme  string // code or id of a programme (beneficiaries; individuals: who are its beneficiaries)
	Role       string // users holding this role id
	// Inactive includes records the registry or the user pool marks
	// inactive (isDeleted: true in openIMIS terms asks for them only).
	Inactive, OnlyInactive bool
	Page                   PageArgs
	WantCount              bool
}

// maxPickerRead bounds the records one picker query reads: a picker wants
// a handful of rows, and a search that needs more is too broad to be
// useful.
const maxPickerRead = 5000

func (s *Service) mayPick(ctx context.Context) error {
	_, _, err := s.authorize(ctx, func(c *Config) []string {
		return slices.Concat(c.QueryTicketsPerms, c.CreateTicketsPerms, c.UpdateTicketsPerms)
	})
	return err
}

// SearchPeople answers a person picker. Phone numbers and e-mail
// addresses are never part of the answer.
func (s *Service) SearchPeople(ctx context.Context, q PersonQuery) (*Page[*Person], error) {
	if err := s.mayPick(ctx); err != nil {
		return nil, err
	}
	if s.directory == nil {
		return nil, Errorf(CodeUnavailable, "The directory search is not available.")
	}
	for _, a := range []struct{ name, v string }{{"name", q.Name}, {"id", q.ID}, {"externalId", q.ExternalID},
		{"phone", q.Phone}, {"programme", q.Programme}, {"role", q.Role}} {
		if err := checkText(a.name, a.v, maxShortText, false); err != nil {
			return nil, err
		}
	}
	w, err := newWindow[*Person]("people", q.Page, q.WantCount)
	if err != nil {
		return nil, err
	}
	phone, err := ParsePhone("phone", q.Phone)
	if err != nil {
		return nil, err
	}
	name := strings.ToLower(strings.TrimSpace(q.Name))
	keep := func(p *Person) bool {
		if p.Type != q.Type || (p.Inactive && !q.Inactive && !q.OnlyInactive) || (!p.Inactive && q.OnlyInactive) {
			return false
		}
		if q.ExternalID != "" && p.ExternalID != q.ExternalID || phone != "" && p.Phone != phone {
			return false
		}
		if q.Type == PersonUser {
			if q.Role != "" && !slices.Contains(p.Roles, q.Role) {
				return false
			}
			return name == "" || strings.Contains(strings.ToLower(p.Username), name) ||
				strings.Contains(strings.ToLower(p.FirstName), name) || strings.Contains(strings.ToLower(p.LastName), name)
		}
		return name == "" || strings.HasPrefix(strings.ToLower(p.LastName), name)
	}
	emit := func(p *Person) (bool, error) {
		if !keep(p) {
			return true, nil
		}
		c := *p
		c.Phone, c.Email = "", ""
		return w.add(&c), nil
	}
	if q.ID != "" {
		id, err := CanonicalUUID("id", q.ID)
		if err != nil {
			return nil, err
		}
		found, err := s.store.People(ctx, []string{id})
		if err != nil {
			return nil, err
		}
		if p := found[id]; p != nil {
			emit(p)
		}
		return w.page(true), nil
	}
	scan := PersonScan{Path: SearchByName, Type: q.Type, Prefix: name}
	switch {
	case q.Type == PersonUser:
		scan = PersonScan{Path: SearchUsers, Type: q.Type}
	case q.ExternalID != "":
		scan = PersonScan{Path: SearchByExternalID, Type: q.Type, Key: q.ExternalID}
	case phone != "":
		scan = PersonScan{Path: SearchByPhone, Type: q.Type, Key: phone}
	case q.Programme != "":
		code, err := s.programmeCode(ctx, q.Programme)
		if err != nil || code == "" {
			return w.page(true), err
		}
		if q.Type == PersonIndividual {
			return s.individualsOfProgramme(ctx, code, q, w, emit)
		}
		scan = PersonScan{Path: SearchByProgramme, Type: q.Type, Key: code, Prefix: name}
	}
	read := 0
	err = s.directory.ScanPeople(ctx, scan, func(p *Person) (bool, error) {
		if read++; read > maxPickerRead {
			return false, Errorf(CodeLimit, "The search matches too many people; type more of the name.")
		}
		return emit(p)
	})
	if err != nil {
		return nil, err
	}
	return w.page(true), nil
}

// individualsOfProgramme lists the individuals linked to the programme's
// beneficiaries, in the beneficiaries' name order.
func (s *Service) individualsOfProgramme(ctx context.Context, code string, q PersonQuery, w *window[*Person], emit func(*Person) (bool, error)) (*Page[*Person], error) {
	var ids []string
	err := s.directory.ScanPeople(ctx, PersonScan{Path: SearchByProgramme, Type: PersonBeneficiary, Key: code, Prefix: strings.ToLower(strings.TrimSpace(q.Name))},
		func(b *Person) (bool, error) {
			if b.IndividualID != "" && !slices.Contains(ids, b.IndividualID) {
				ids = append(ids, b.IndividualID)
			}
			if len(ids) > maxPickerRead {
				return false, Errorf(CodeLimit, "The search matches too many people; type more of the name.")
			}
			return true, nil
		})
	if err != nil {
		return nil, err
	}
	found, err := s.store.People(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if p := found[id]; p != nil {
			if more, _ := emit(p); !more {
				break
			}
		}
	}
	return w.page(true), nil
}

// programmeCode resolves a programme given by code or by id ("" when
// there is none).
func (s *Service) programmeCode(ctx context.Context, codeOrID string) (string, error) {
	var code string
	isID := ValidUUID(codeOrID)
	want, _ := CanonicalUUID("id", codeOrID)
	err := s.directory.ScanProgrammes(ctx, "", func(p *Programme) (bool, error) {
		if p.Code == codeOrID || (isID && p.ID == want) {
			code = p.Code
			return false, nil
		}
		return true, nil
	})
	return code, err
}

// SearchProgrammes answers the benefit-plan picker: programmes whose code
// contains search (case-insensitive), in code order.
func (s *Service) SearchProgrammes(ctx context.Context, search string, page PageArgs, wantCount bool) (*Page[*Programme], error) {
	if err := s.mayPick(ctx); err != nil {
		return nil, err
	}
	if s.directory == nil {
		return nil, Errorf(CodeUnavailable, "The directory search is not available.")
	}
	if err := checkText("search", search, maxShortText, false); err != nil {
		return nil, err
	}
	w, err := newWindow[*Programme]("benefitPlan", page, wantCount)
	if err != nil {
		return nil, err
	}
	search = strings.ToLower(strings.TrimSpace(search))
	err = s.directory.ScanProgrammes(ctx, "", func(p *Programme) (bool, error) {
		if search != "" && !strings.Contains(strings.ToLower(p.Code), search) {
			return true, nil
		}
		return w.add(p), nil
	})
	if err != nil {
		return nil, err
	}
	return w.page(true), nil
}
