package grievance

// SetWalkAmongMin sets the fewest candidates a history list ordered by a
// column walks the sort index for, so that a small seed takes that path.
func (s *Service) SetWalkAmongMin(n int) { s.walkAmongMin = n }
