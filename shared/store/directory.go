package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/shared/directory"
	"github.com/redress-grm/redress/shared/grievance"
)

// Partitions of the directory's search paths (pickers): one index entry
// per path, so every picker query is a Query on one partition.
const (
	prefixPeople    = "PEOPLE#"    // g1: PEOPLE#<type> / <last>#<first>#<id>, lower-cased: name search
	prefixExternal  = "PEXT#"      // g2: PEXT#<external id> / <type>#<id>: registry id search
	prefixPhone     = "PHONE#"     // g4: PHONE#<sha-256 of the phone> / <type>#<id>: exact phone search
	prefixProgramme = "PROGRAMME#" // g5 (beneficiaries): PROGRAMME#<code> / <last>#<first>#<id>
	listProgrammes  = "PROGRAMMES" // g1 (programme items): PROGRAMMES / <lower code>
	skProgramme     = "PROGRAMME"
	KindProgramme   = "programme"
)

// personIndexKeys puts individuals and beneficiaries in the pickers'
// indexes. The phone is hashed in its key so that the number itself is
// never part of a key (keys reach metrics and diagnostics that attributes
// do not).
func personIndexKeys(it *personItem, p *grievance.Person) {
	if p.Type != grievance.PersonIndividual && p.Type != grievance.PersonBeneficiary {
		return
	}
	name := nameKey(p.LastName, p.FirstName, p.ID)
	it.G1PK, it.G1SK = prefixPeople+string(p.Type), name
	if p.ExternalID != "" {
		it.G2PK, it.G2SK = prefixExternal+p.ExternalID, string(p.Type)+"#"+p.ID
	}
	if p.Phone != "" {
		it.G4PK, it.G4SK = prefixPhone+phoneKey(p.Phone), string(p.Type)+"#"+p.ID
	}
	if p.Type == grievance.PersonBeneficiary && p.Programme != "" {
		it.G5PK, it.G5SK = prefixProgramme+p.Programme, name
	}
}

func nameKey(last, first, id string) string {
	return strings.ToLower(last) + "#" + strings.ToLower(first) + "#" + id
}

func phoneKey(phone string) string {
	h := sha256.Sum256([]byte(phone))
	return hex.EncodeToString(h[:])
}

// programmeItem is a benefit plan: the programmes named by imported
// beneficiaries.
type programmeItem struct {
	PK   string `dynamo:"pk"`
	SK   string `dynamo:"sk"`
	Kind string `dynamo:"kind"`
	indexKeys
	ID   string `dynamo:"id"`
	Code string `dynamo:"code"`
}

func toProgrammeItem(code string) *programmeItem {
	return &programmeItem{PK: prefixProgramme + code, SK: skProgramme, Kind: KindProgramme,
		indexKeys: indexKeys{G1PK: listProgrammes, G1SK: strings.ToLower(code)},
		ID:        directory.ProgrammeID(code), Code: code}
}

var _ directory.Store = (*Store)(nil)

// ImportPeople implements directory.Store: one consistent BatchGetItem of
// the records, then BatchWriteItem of
// only the records that are new or differ, so a re-import writes nothing.
// Two imports of the same record racing each other both write; the last
// one stays, as with any upsert.
func (s *Store) ImportPeople(ctx context.Context, people []grievance.Person) ([]directory.Outcome, error) {
	out := make([]directory.Outcome, len(people))
	if len(people) == 0 {
		return out, nil
	}
	ids := make([]string, len(people))
	for i := range people {
		ids[i] = people[i].ID
	}
	keys := uniqueKeys(prefixPerson, skPerson, ids)
	if len(keys) != len(people) {
		return nil, errors.New("import people: the same id twice in one batch")
	}
	var items []personItem
	err := s.main.Batch(AttrPK, AttrSK).Get(keys...).Consistent(true).All(ctx, &items)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return nil, translate("import people: batch get", err)
	}
	stored := make(map[string]*personItem, len(items))
	for i := range items {
		stored[items[i].ID] = &items[i]
	}
	var puts []any
	// A programme item is written (again, identically) with every batch
	// that writes one of its beneficiaries: it exists as soon as one
	// does, and an unchanged re-import neither reads nor writes it.
	var programmes []string
	for i := range people {
		it, err := toPersonItem(&people[i])
		if err != nil {
			return nil, err
		}
		old, ok := stored[people[i].ID]
		switch {
		case !ok:
			out[i] = directory.Inserted
		case old.Type == string(grievance.PersonUser):
			out[i] = directory.Refused
			continue
		case reflect.DeepEqual(old, it):
			out[i] = directory.Unchanged
			continue
		default:
			out[i] = directory.Updated
		}
		puts = append(puts, it)
		if p := people[i].Programme; p != "" && people[i].Type == grievance.PersonBeneficiary && !slices.Contains(programmes, p) {
			programmes = append(programmes, p)
		}
	}
	for _, p := range programmes {
		puts = append(puts, toProgrammeItem(p))
	}
	if len(puts) > 0 {
		if _, err := s.main.Batch(AttrPK, AttrSK).Write().Put(puts...).Run(ctx); err != nil {
			return nil, translate("import people: batch write", err)
		}
	}
	return out, nil
}

var _ grievance.DirectorySearch = (*Store)(nil)

// ScanPeople implements grievance.DirectorySearch: one paged Query of one
// index partition.
func (s *Store) ScanPeople(ctx context.Context, q grievance.PersonScan, fn func(*grievance.Person) (bool, error)) error {
	var index, pkAttr, skAttr, pk, skPrefix string
	switch q.Path {
	case grievance.SearchByName:
		index, pkAttr, skAttr, pk, skPrefix = IndexList, "g1pk", "g1sk", prefixPeople+string(q.Type), q.Prefix
	case grievance.SearchByExternalID:
		index, pkAttr, skAttr, pk, skPrefix = IndexStatus, "g2pk", "g2sk", prefixExternal+q.Key, string(q.Type)+"#"
	case grievance.SearchByPhone:
		index, pkAttr, skAttr, pk, skPrefix = IndexStaff, "g4pk", "g4sk", prefixPhone+phoneKey(q.Key), string(q.Type)+"#"
	case grievance.SearchByProgramme:
		index, pkAttr, skAttr, pk, skPrefix = IndexReporter, "g5pk", "g5sk", prefixProgramme+q.Key, q.Prefix
	case grievance.SearchUsers:
		index, pkAttr, skAttr, pk = IndexCategory, "g3pk", "g3sk", listUsers
	default:
		return fmt.Errorf("scan people: unknown search path %d", q.Path)
	}
	query := s.main.Get(pkAttr, pk).Index(index)
	if skPrefix != "" {
		query = query.Range(skAttr, dynamo.BeginsWith, skPrefix)
	}
	return mergePages(ctx, []*pager{newPager(query, false)}, skAttr, false, func(item dynamo.Item) (bool, error) {
		var it personItem
		if err := dynamo.UnmarshalItem(item, &it); err != nil {
			return false, err
		}
		p, err := it.person()
		if err != nil {
			return false, err
		}
		return fn(p)
	})
}

// ScanProgrammes implements grievance.DirectorySearch.
func (s *Store) ScanProgrammes(ctx context.Context, prefix string, fn func(*grievance.Programme) (bool, error)) error {
	query := s.main.Get("g1pk", listProgrammes).Index(IndexList)
	if prefix != "" {
		query = query.Range("g1sk", dynamo.BeginsWith, strings.ToLower(prefix))
	}
	return mergePages(ctx, []*pager{newPager(query, false)}, "g1sk", false, func(item dynamo.Item) (bool, error) {
		var it programmeItem
		if err := dynamo.UnmarshalItem(item, &it); err != nil {
			return false, err
		}
		return fn(&grievance.Programme{ID: it.ID, Code: it.Code})
	})
}
