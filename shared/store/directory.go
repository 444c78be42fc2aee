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
	"unicode/utf8"

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
	// The name index (substring search of last names): one item per
	// distinct suffix of a person's lower-cased last name, in the
	// person's partition (sk NAME#<suffix>), in g1 under
	// PNAME#<type>#<first rune of the suffix> / <suffix>\x01<id> (PNAMEX#
	// for inactive people). A last name contains q exactly when one of
	// its suffixes begins with q, so a search is one begins_with Query of
	// one partition (two with inactive people).
	prefixNamePart         = "PNAME#"
	prefixNamePartInactive = "PNAMEX#"
	skNamePart             = "NAME#"
	KindNamePart           = "namePart"
	// namePartsVersion marks person items whose name index entries are
	// written (personItem.NameParts). Items stored before the index have
	// none, so they differ from what an import writes now and the first
	// re-import of them writes their entries.
	namePartsVersion = 1
)

// namePartItem is one entry of the name index. Only keys (and a
// beneficiary's programme, for searches within a programme) are stored:
// a search needs the person's id, and every row shown is read from the
// person item.
type namePartItem struct {
	PK        string `dynamo:"pk"`
	SK        string `dynamo:"sk"`
	Kind      string `dynamo:"kind"`
	G1PK      string `dynamo:"g1pk"`
	G1SK      string `dynamo:"g1sk"`
	Programme string `dynamo:"programme,omitempty"`
}

// nameSuffixes returns the distinct suffixes of a lower-cased last name,
// each cut to grievance.NamePartRunes runes (sort keys hold at most
// 1 KB; a cut suffix still begins with every part of up to that length
// found at its position).
func nameSuffixes(last string) []string {
	r := []rune(strings.ToLower(last))
	var out []string
	seen := map[string]bool{}
	for i := range r {
		s := string(r[i:min(len(r), i+grievance.NamePartRunes)])
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// namePartPK is the index partition of the suffixes that start with
// first, for people of typ.
func namePartPK(typ string, inactive bool, first rune) string {
	prefix := prefixNamePart
	if inactive {
		prefix = prefixNamePartInactive
	}
	return prefix + typ + "#" + string(first)
}

// nameParts returns the name index entries of an individual or
// beneficiary item, by sort key (nil for anyone else).
func (it *personItem) nameParts() map[string]namePartItem {
	if it.Type != string(grievance.PersonIndividual) && it.Type != string(grievance.PersonBeneficiary) {
		return nil
	}
	parts := map[string]namePartItem{}
	for _, suffix := range nameSuffixes(it.LastName) {
		first, _ := utf8.DecodeRuneInString(suffix)
		np := namePartItem{PK: it.PK, SK: skNamePart + suffix, Kind: KindNamePart,
			G1PK: namePartPK(it.Type, it.Inactive, first), G1SK: suffix + "\x01" + it.ID}
		if it.Type == string(grievance.PersonBeneficiary) {
			np.Programme = it.Programme
		}
		parts[np.SK] = np
	}
	return parts
}

// namePartWrites returns the index writes that take a person from old
// (nil: not stored, or stored before the index) to it: the entries that
// are new or differ, and the keys of those it no longer has.
func namePartWrites(old, it *personItem) (puts []any, dels []dynamo.Keyed) {
	var before map[string]namePartItem
	if old != nil && old.NameParts == namePartsVersion {
		before = old.nameParts()
	}
	after := it.nameParts()
	for _, sk := range sortedKeys(after) {
		if b, ok := before[sk]; !ok || b != after[sk] {
			puts = append(puts, after[sk])
		}
	}
	for _, sk := range sortedKeys(before) {
		if _, ok := after[sk]; !ok {
			dels = append(dels, dynamo.Keys{old.PK, sk})
		}
	}
	return puts, dels
}

// sortedKeys makes the writes' order, and so the requests, the same on
// every run.
func sortedKeys(m map[string]namePartItem) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

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
// the records, then BatchWriteItem of only the records that are new or
// differ (with their name index entries), so a re-import writes nothing.
// Two imports of the same record racing each other both write; the last
// one stays, as with any upsert (entries of the other's name may stay
// too: searches check every row against the record).
func (s *Store) ImportPeople(ctx context.Context, people []grievance.Person) ([]directory.Outcome, error) {
	return s.writePeople(ctx, "import people", people, true)
}

// writePeople stores the people that are new or differ from their stored
// records, with the name index entries that change, and says which was
// which. refuseStaff leaves staff users' records alone (imports never
// change them).
//
// The index entries go first and the person items last: BatchWriteItem
// is not atomic, and a person written before its entries would read as
// unchanged to the retry that must write them.
func (s *Store) writePeople(ctx context.Context, op string, people []grievance.Person, refuseStaff bool) ([]directory.Outcome, error) {
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
		return nil, fmt.Errorf("%s: the same id twice in one batch", op)
	}
	var items []personItem
	err := s.main.Batch(AttrPK, AttrSK).Get(keys...).Consistent(true).All(ctx, &items)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return nil, translate(op+": batch get", err)
	}
	stored := make(map[string]*personItem, len(items))
	for i := range items {
		stored[items[i].ID] = &items[i]
	}
	var parts, persons []any
	var gone []dynamo.Keyed
	// A programme item is written (again, identically) with every batch
	// that writes one of its beneficiaries: it exists as soon as one
	// does, and an unchanged re-import neither reads nor writes it.
	var programmes []string
	for i := range people {
		it, err := toPersonItem(&people[i])
		if err != nil {
			return nil, err
		}
		old := stored[people[i].ID]
		switch {
		case old == nil:
			out[i] = directory.Inserted
		case refuseStaff && old.Type == string(grievance.PersonUser):
			out[i] = directory.Refused
			continue
		case reflect.DeepEqual(old, it):
			out[i] = directory.Unchanged
			continue
		default:
			out[i] = directory.Updated
		}
		puts, dels := namePartWrites(old, it)
		parts, gone = append(parts, puts...), append(gone, dels...)
		persons = append(persons, it)
		if p := people[i].Programme; p != "" && people[i].Type == grievance.PersonBeneficiary && !slices.Contains(programmes, p) {
			programmes = append(programmes, p)
		}
	}
	for _, p := range programmes {
		persons = append(persons, toProgrammeItem(p))
	}
	if len(parts)+len(gone)+len(persons) > 0 {
		w := s.main.Batch(AttrPK, AttrSK).Write()
		if len(parts) > 0 {
			w = w.Put(parts...)
		}
		if len(gone) > 0 {
			w = w.Delete(gone...)
		}
		if _, err := w.Put(persons...).Run(ctx); err != nil {
			return nil, translate(op+": batch write", err)
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
		index, pkAttr, skAttr, pk = IndexList, "g1pk", "g1sk", prefixPeople+string(q.Type)
	case grievance.SearchByExternalID:
		index, pkAttr, skAttr, pk, skPrefix = IndexStatus, "g2pk", "g2sk", prefixExternal+q.Key, string(q.Type)+"#"
	case grievance.SearchByPhone:
		index, pkAttr, skAttr, pk, skPrefix = IndexStaff, "g4pk", "g4sk", prefixPhone+phoneKey(q.Key), string(q.Type)+"#"
	case grievance.SearchByProgramme:
		index, pkAttr, skAttr, pk = IndexReporter, "g5pk", "g5sk", prefixProgramme+q.Key
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

// ScanNameParts implements grievance.DirectorySearch: a begins_with Query
// of the name index partition of the part's first rune (and the inactive
// one's, merged in key order), reading keys only; a person found at two
// suffixes (q "a" in "Salazar") is passed on once.
func (s *Store) ScanNameParts(ctx context.Context, q grievance.NamePartScan, fn func(id string) (bool, error)) error {
	part := []rune(q.Part)
	if len(part) == 0 {
		return errors.New("scan name parts: empty part")
	}
	if len(part) > grievance.NamePartRunes {
		part = part[:grievance.NamePartRunes]
	}
	var pks []string
	if !q.OnlyInactive {
		pks = append(pks, namePartPK(string(q.Type), false, part[0]))
	}
	if q.Inactive || q.OnlyInactive {
		pks = append(pks, namePartPK(string(q.Type), true, part[0]))
	}
	attrs := []string{AttrPK, "g1sk"}
	if q.Programme != "" {
		attrs = append(attrs, "programme")
	}
	var ps []*pager
	for _, pk := range pks {
		query := s.main.Get("g1pk", pk).Index(IndexList).Range("g1sk", dynamo.BeginsWith, string(part)).Project(attrs...)
		ps = append(ps, newPager(query, false))
	}
	seen := map[string]bool{}
	return mergePages(ctx, ps, "g1sk", false, func(item dynamo.Item) (bool, error) {
		var it namePartItem
		if err := dynamo.UnmarshalItem(item, &it); err != nil {
			return false, fmt.Errorf("decode name index entry: %w", err)
		}
		id := strings.TrimPrefix(it.PK, prefixPerson)
		if seen[id] || (q.Programme != "" && it.Programme != q.Programme) {
			return true, nil
		}
		seen[id] = true
		return fn(id)
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
