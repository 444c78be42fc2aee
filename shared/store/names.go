package store

import (
	"fmt"
	"os"
)

// TableNames holds the physical names of Redress's tables. Functions learn
// them from the environment (NamesFromEnv); the local stack and tests get
// them from the bootstrap that created the tables.
type TableNames struct {
	Main    string
	History string
}

// NamesFromEnv reads each table's physical name from the environment
// variable its definition names (TABLE_NAME, HISTORY_TABLE_NAME). It fails
// on the first variable that is unset or empty, so a function misconfigured
// by its deployment stops at start-up instead of at its first request.
func NamesFromEnv() (TableNames, error) {
	var n TableNames
	for _, t := range Tables() {
		v := os.Getenv(t.EnvVar)
		if v == "" {
			return TableNames{}, fmt.Errorf("store: environment variable %s (table %s) is not set", t.EnvVar, t.Name)
		}
		if err := n.Set(t, v); err != nil {
			return TableNames{}, err
		}
	}
	return n, nil
}

// Name returns the physical name recorded for t, or "" if there is none.
func (n TableNames) Name(t Table) string {
	if p := n.field(t); p != nil {
		return *p
	}
	return ""
}

// Set records name as the physical name of t. It fails for a table that
// TableNames has no field for, which happens only when Tables() gains a
// table and this struct was not extended with it.
func (n *TableNames) Set(t Table, name string) error {
	p := n.field(t)
	if p == nil {
		return fmt.Errorf("store: TableNames has no field for table %s", t.Name)
	}
	*p = name
	return nil
}

// Env returns the names as "VAR=value" entries (one per table definition),
// ready to be appended to a process environment.
func (n TableNames) Env() []string {
	var env []string
	for _, t := range Tables() {
		env = append(env, t.EnvVar+"="+n.Name(t))
	}
	return env
}

func (n *TableNames) field(t Table) *string {
	switch t.Name {
	case MainTable.Name:
		return &n.Main
	case HistoryTable.Name:
		return &n.History
	}
	return nil
}
