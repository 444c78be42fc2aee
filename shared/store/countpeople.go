package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/shared/grievance"
)

// CountTicketsWithPeople implements grievance.PeopleCounter: the count
// items of r's partitions and the people of ids in one BatchGetItem, so a
// list page's totalCount costs no request of its own.
func (s *Store) CountTicketsWithPeople(ctx context.Context, r grievance.TicketRange, ids []string) (int, map[string]*grievance.Person, error) {
	if r.By == grievance.RangeSeq || (r.By == grievance.RangeSorted && len(r.Keys) == 0) {
		n, err := s.CountTickets(ctx, r)
		if err != nil {
			return 0, nil, err
		}
		people, err := s.People(ctx, ids)
		return n, people, err
	}
	pks := countedPartitions(r)
	keys := uniqueKeys(prefixPerson, skPerson, ids)
	for _, pk := range pks {
		keys = append(keys, dynamo.Keys{prefixCount + pk, skCount})
	}
	// Eventually consistent, as the page itself is (read from an index):
	// half the capacity of a strong read of the people.
	var items []dynamo.Item
	err := s.main.Batch(AttrPK, AttrSK).Get(keys...).All(ctx, &items)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return 0, nil, translate("get counts and people", err)
	}
	total := int64(0)
	people := map[string]*grievance.Person{}
	for _, item := range items {
		switch kindOf(item) {
		case KindCount:
			var it countItem
			if err := dynamo.UnmarshalItem(item, &it); err != nil {
				return 0, nil, fmt.Errorf("decode count: %w", err)
			}
			total += it.N
		case KindPerson:
			var it personItem
			if err := dynamo.UnmarshalItem(item, &it); err != nil {
				return 0, nil, fmt.Errorf("decode person: %w", err)
			}
			p, err := it.person()
			if err != nil {
				return 0, nil, err
			}
			people[p.ID] = p
		}
	}
	return int(total), people, nil
}
