// Command benchtable turns `go test -json -bench` output into the summary
// tables of docs/performance.md: one table per top-level benchmark, one
// row per sub-benchmark, every reported metric a column, plus the request
// mix and minimum the DynamoDB benchmarks log ("requests: …",
// "minimum: …") and a verdict for every ratio with a target.
//
// Usage: go run ./tools/benchtable FILE.json… (or stdin)
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// targets of the ratios (issue #8), by top-level benchmark.
var targets = map[string]float64{
	"BenchmarkFloor":      1.3,
	"BenchmarkHandlerCPU": 1.15,
}

type event struct {
	Action  string
	Package string
	Output  string
}

type row struct {
	name    string
	n       string
	metrics map[string]float64
	units   []string
	logs    map[string]string
}

type table struct {
	name  string
	pkg   string
	rows  []*row
	units []string
}

var (
	resultLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$`)
	benchHead  = regexp.MustCompile(`^--- (?:BENCH|FAIL): (Benchmark\S+?)(?:-\d+)?$`)
	logLine    = regexp.MustCompile(`^\s+\S+\.go:\d+: (\w[\w -]*): (.*)$`)
)

func main() {
	var inputs []io.Reader
	for _, f := range os.Args[1:] {
		fh, err := os.Open(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchtable:", err)
			os.Exit(1)
		}
		defer fh.Close()
		inputs = append(inputs, fh)
	}
	if len(inputs) == 0 {
		inputs = append(inputs, os.Stdin)
	}
	var tables []*table
	failed := false
	for _, in := range inputs {
		ts, f := parse(in)
		tables = append(tables, ts...)
		failed = failed || f
	}
	for _, t := range tables {
		print(os.Stdout, t)
	}
	if failed {
		fmt.Println("\nSOME BENCHMARKS FAILED: see the output above.")
		os.Exit(1)
	}
}

// parse reads go test -json output; each package's text is put back
// together first (benchmark lines arrive in pieces).
func parse(in io.Reader) ([]*table, bool) {
	text := map[string]*strings.Builder{}
	var pkgs []string
	failed := false
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var ev event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			continue // not JSON: go's own messages
		}
		if ev.Action == "fail" {
			failed = true
		}
		if ev.Action != "output" {
			continue
		}
		b := text[ev.Package]
		if b == nil {
			b = &strings.Builder{}
			text[ev.Package] = b
			pkgs = append(pkgs, ev.Package)
		}
		b.WriteString(ev.Output)
	}
	var tables []*table
	for _, pkg := range pkgs {
		byName := map[string]*table{}
		rows := map[string]*row{}
		current := ""
		for _, line := range strings.Split(text[pkg].String(), "\n") {
			if m := resultLine.FindStringSubmatch(line); m != nil {
				full := m[1]
				top, sub, _ := strings.Cut(full, "/")
				t := byName[top]
				if t == nil {
					t = &table{name: top, pkg: pkg}
					byName[top] = t
					tables = append(tables, t)
				}
				r := &row{name: sub, n: m[2], metrics: map[string]float64{}, logs: map[string]string{}}
				f := strings.Fields(m[3])
				for i := 0; i+1 < len(f); i += 2 {
					v, err := strconv.ParseFloat(f[i], 64)
					if err != nil {
						continue
					}
					r.metrics[f[i+1]] = v
					r.units = append(r.units, f[i+1])
					if !slices.Contains(t.units, f[i+1]) {
						t.units = append(t.units, f[i+1])
					}
				}
				if old := rows[full]; old != nil {
					r.logs = old.logs
				}
				rows[full] = r
				t.rows = append(t.rows, r)
				continue
			}
			if m := benchHead.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
				current = m[1]
				if strings.HasPrefix(strings.TrimSpace(line), "--- FAIL") {
					failed = true
				}
				continue
			}
			if m := logLine.FindStringSubmatch(line); m != nil && current != "" {
				if r := rows[current]; r != nil {
					r.logs[m[1]] = m[2]
				} else {
					// A log of a parent benchmark (e.g. coverage notes).
					fmt.Printf("%s: %s: %s\n", current, m[1], m[2])
				}
			}
		}
	}
	return tables, failed
}

// column order: time first, then the rest as reported.
var preferred = []string{"ns/op", "graphql-ns/op", "sdk-ns/op", "engine-ns/op", "handler-ns/op", "ratio", "records/s",
	"ddb-req/op", "ddb-rounds/op", "ddb-req/batch", "eb-req/batch", "items-read/op", "index-items/op", "rcu/op", "wcu/op", "B/op", "allocs/op"}

func print(w io.Writer, t *table) {
	units := slices.Clone(t.units)
	slices.SortStableFunc(units, func(a, b string) int { return rank(a) - rank(b) })
	hasLogs := map[string]bool{}
	for _, r := range t.rows {
		for k := range r.logs {
			hasLogs[k] = true
		}
	}
	logCols := []string{}
	for _, k := range []string{"requests", "minimum"} {
		if hasLogs[k] {
			logCols = append(logCols, k)
		}
	}
	target, hasTarget := targets[t.name]
	fmt.Fprintf(w, "\n%s (%s)\n\n| case | runs |", t.name, t.pkg)
	for _, u := range units {
		fmt.Fprintf(w, " %s |", header(u))
	}
	for _, k := range logCols {
		fmt.Fprintf(w, " %s |", k)
	}
	if hasTarget {
		fmt.Fprintf(w, " ratio ≤ %g |", target)
	}
	fmt.Fprint(w, "\n|---|---:|")
	for range units {
		fmt.Fprint(w, "---:|")
	}
	for range logCols {
		fmt.Fprint(w, "---|")
	}
	if hasTarget {
		fmt.Fprint(w, "---|")
	}
	fmt.Fprintln(w)
	for _, r := range t.rows {
		name := r.name
		if name == "" {
			name = t.name
		}
		fmt.Fprintf(w, "| %s | %s |", name, r.n)
		for _, u := range units {
			v, ok := r.metrics[u]
			if !ok {
				fmt.Fprint(w, " |")
				continue
			}
			fmt.Fprintf(w, " %s |", format(u, v))
		}
		for _, k := range logCols {
			fmt.Fprintf(w, " %s |", r.logs[k])
		}
		if hasTarget {
			if v, ok := r.metrics["ratio"]; ok {
				if v <= target {
					fmt.Fprint(w, " met |")
				} else {
					fmt.Fprint(w, " MISSED |")
				}
			} else {
				fmt.Fprint(w, " |")
			}
		}
		fmt.Fprintln(w)
	}
}

func rank(u string) int {
	if i := slices.Index(preferred, u); i >= 0 {
		return i
	}
	return len(preferred)
}

// header renames time columns to the unit they are printed in.
func header(u string) string {
	if strings.HasSuffix(u, "ns/op") {
		return strings.TrimSuffix(u, "ns/op") + "ms/op"
	}
	if u == "B/op" {
		return "KB/op"
	}
	return u
}

func format(u string, v float64) string {
	switch {
	case strings.HasSuffix(u, "ns/op"):
		return strconv.FormatFloat(v/1e6, 'f', 3, 64)
	case u == "B/op":
		return strconv.FormatFloat(v/1024, 'f', 1, 64)
	case u == "ratio":
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v == float64(int64(v)):
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}
