package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
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
		ID:        directory.DeriveID("benefitPlan", code), Code: code}
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
