package store

// SetCounterRead makes fn run between reading the ticket counter and
// committing, so a test can play a rival container that wins the race.
func SetCounterRead(s *Store, fn func()) { s.counterRead = fn }
