package grievance

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"
)

// Pickers: finding the people a ticket can name (docs/directory.md). Every
// search path reads one index partition (never a table scan); the
// remaining criteria are checked on the records read.

// SearchPath names the index a directory search reads.
type SearchPath int

// Search paths.
const (
	SearchByName       SearchPath = iota // every individual or beneficiary, in last name order
	SearchByExternalID                   // by registry id, exact
	SearchByPhone                        // by phone, exact
	SearchByProgramme                    // beneficiaries of a programme, in last name order
	SearchUsers                          // every staff user, by username
)

// PersonScan is one index read: Key is the external id, phone or
// programme code.
type PersonScan struct {
	Path SearchPath
	Type PersonType
	Key  string
}

// NamePartRunes is the longest part of a last name the directory's name
// index matches exactly. The index keeps every suffix of a lower-cased
// last name cut to this many runes (a sort key holds at most 1 KB, and
// names may have 255 runes), so a longer search text is looked up by its
// first NamePartRunes runes and every candidate is checked against the
// person's real name.
const NamePartRunes = 64

// NamePartScan asks the name index for the individuals or beneficiaries
// whose lower-cased last name contains Part (lower case, not empty).
// Inactive and OnlyInactive select records as in PersonQuery; Programme,
// when set, keeps beneficiaries of that programme code only.
type NamePartScan struct {
	Type                   PersonType
	Part                   string
	Inactive, OnlyInactive bool
	Programme              string
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
	// ScanNameParts calls fn once per person, in the index's order, with
	// the id of every person q asks for, until fn returns false. The ids
	// are exact for a part of at most NamePartRunes runes; for a longer
	// one they are candidates (their names contain its first
	// NamePartRunes runes). Either way the index follows the records with
	// a short lag, so callers check the records they show.
	ScanNameParts(ctx context.Context, q NamePartScan, fn func(id string) (bool, error)) error
}

// PersonQuery is a picker's question.
type PersonQuery struct {
	Type       PersonType
	ID         string
	Name       string // individuals, beneficiaries: last name contains it; users: username or a name contains it (case-insensitive)
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
		return name == "" || strings.Contains(strings.ToLower(p.LastName), name)
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
	scan := PersonScan{Path: SearchByName, Type: q.Type}
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
			return s.individualsOfProgramme(ctx, code, name, w, emit)
		}
		if name != "" {
			return s.searchNamePart(ctx, q, name, code, keep)
		}
		scan = PersonScan{Path: SearchByProgramme, Type: q.Type, Key: code}
	case name != "":
		return s.searchNamePart(ctx, q, name, "", keep)
	}
	read := 0
	err = s.directory.ScanPeople(ctx, scan, func(p *Person) (bool, error) {
		if read++; read > maxPickerRead {
			return false, errTooBroad()
		}
		return emit(p)
	})
	if err != nil {
		return nil, err
	}
	return w.page(true), nil
}

func errTooBroad() error {
	return Errorf(CodeLimit, "The search matches too many people; type more of the name.")
}

// searchNamePart answers a name search of individuals or beneficiaries
// (of programme code, when set) from the name index: case-insensitive
// substring, as openIMIS's lastName_Icontains. Pages count distinct
// people in index order, so a page reads the index up to its last row
// (the whole matching range when the total is wanted: ids only) and then
// the records of its own rows in one BatchGetItem. Each shown row is
// checked against the record, so a lagging index entry can cost a row
// but never shows one that does not match.
func (s *Service) searchNamePart(ctx context.Context, q PersonQuery, name, code string, keep func(*Person) bool) (*Page[*Person], error) {
	scan := NamePartScan{Type: q.Type, Part: name, Inactive: q.Inactive, OnlyInactive: q.OnlyInactive, Programme: code}
	match := func(p *Person) bool { return p != nil && keep(p) && (code == "" || p.Programme == code) }
	shown := func(p *Person) *Person {
		c := *p
		c.Phone, c.Email = "", ""
		return &c
	}
	if utf8.RuneCountInString(name) > NamePartRunes {
		// The index only narrows a text this long: each candidate is
		// checked before it takes a place, so pages and the total stay
		// exact.
		w, err := newWindow[*Person]("people", q.Page, q.WantCount)
		if err != nil {
			return nil, err
		}
		var ids []string
		err = s.directory.ScanNameParts(ctx, scan, func(id string) (bool, error) {
			if len(ids) >= maxPickerRead {
				return false, errTooBroad()
			}
			ids = append(ids, id)
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
			if p := found[id]; match(p) && !w.add(shown(p)) {
				break
			}
		}
		return w.page(true), nil
	}
	iw, err := newWindow[string]("people", q.Page, q.WantCount)
	if err != nil {
		return nil, err
	}
	read := 0
	err = s.directory.ScanNameParts(ctx, scan, func(id string) (bool, error) {
		if read++; read > maxPickerRead {
			return false, errTooBroad()
		}
		return iw.add(id), nil
	})
	if err != nil {
		return nil, err
	}
	ids := iw.page(true)
	found, err := s.store.People(ctx, ids.Items)
	if err != nil {
		return nil, err
	}
	page := &Page[*Person]{StartIndex: ids.StartIndex, TotalCount: ids.TotalCount, Counted: ids.Counted,
		HasNextPage: ids.HasNextPage, HasPreviousPage: ids.HasPreviousPage}
	for _, id := range ids.Items {
		if p := found[id]; match(p) {
			page.Items = append(page.Items, shown(p))
		}
	}
	return page, nil
}

// individualsOfProgramme lists the individuals linked to the programme's
// beneficiaries, in the beneficiaries' order. With a name, the
// beneficiaries come from the name index (a beneficiary row carries its
// individual's names) and each individual is checked against it.
func (s *Service) individualsOfProgramme(ctx context.Context, code, name string, w *window[*Person], emit func(*Person) (bool, error)) (*Page[*Person], error) {
	var ids []string
	add := func(individualID string) (bool, error) {
		if individualID != "" && !slices.Contains(ids, individualID) {
			ids = append(ids, individualID)
		}
		if len(ids) > maxPickerRead {
			return false, errTooBroad()
		}
		return true, nil
	}
	var err error
	if name != "" {
		var bens []string
		err = s.directory.ScanNameParts(ctx, NamePartScan{Type: PersonBeneficiary, Part: name, Inactive: true, Programme: code},
			func(id string) (bool, error) {
				if len(bens) >= maxPickerRead {
					return false, errTooBroad()
				}
				bens = append(bens, id)
				return true, nil
			})
		if err != nil {
			return nil, err
		}
		var found map[string]*Person
		if found, err = s.store.People(ctx, bens); err != nil {
			return nil, err
		}
		for _, id := range bens {
			if b := found[id]; b != nil && b.Programme == code {
				if _, err := add(b.IndividualID); err != nil {
					return nil, err
				}
			}
		}
	} else {
		err = s.directory.ScanPeople(ctx, PersonScan{Path: SearchByProgramme, Type: PersonBeneficiary, Key: code},
			func(b *Person) (bool, error) { return add(b.IndividualID) })
	}
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
