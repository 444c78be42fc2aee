// Package directory imports the people tickets point at from a programme's
// registry: it reads CSV or JSON Lines files, validates each row, derives
// stable directory ids and tells the store what to upsert. It is its own
// package, not part of package grievance, because file formats, chunking
// and import reports are a registry-integration concern the ticket domain
// never sees; like grievance it imports only the standard library (and
// grievance, for the person type and its validation), so the import
// function and the local command share it without AWS types.
package directory

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"unicode/utf8"
)

// Columns are the documented columns of an import file, in order (CSV
// header names; JSON Lines use the same keys).
var Columns = []string{"id", "external_id", "type", "first_name", "last_name", "dob", "sex",
	"phone", "email", "location", "programme", "individual_external_id", "individual_id", "active"}

// requiredColumns must be in every CSV header.
var requiredColumns = []string{"external_id", "type", "first_name", "last_name"}

// MaxLine is the longest physical line (and CSV record) read. A registry
// row is a few hundred bytes; anything longer is a broken export, and
// bounding it keeps one row from exhausting the function's memory.
const MaxLine = 64 * 1024

// Format is an import file's format.
type Format string

// Formats.
const (
	CSV   Format = "csv"
	JSONL Format = "jsonl"
)

// FormatOf names the format of a file from its name: .csv, or .jsonl /
// .ndjson; "" when it is neither.
func FormatOf(name string) Format {
	switch strings.ToLower(path.Ext(name)) {
	case ".csv":
		return CSV
	case ".jsonl", ".ndjson":
		return JSONL
	}
	return ""
}

// FileError is a problem with a whole file (format, encoding, header):
// no row of it is imported.
type FileError struct{ Reason string }

func (e *FileError) Error() string { return e.Reason }

func fileErrorf(format string, args ...any) error {
	return &FileError{Reason: fmt.Sprintf(format, args...)}
}

// Row is one record of a file: its first line number, its fields by
// column name, and the byte offset just after it (where a continuation
// starts). Err is set when the row itself cannot be read; its reason is
// reported and the next row is read.
type Row struct {
	Line   int
	Fields map[string]string
	End    int64
	Err    error
}

// Position is where a reader starts: the byte offset and line number of
// the first unread row, and the CSV header read at the start of the file.
// The zero Position is the start of a file.
type Position struct {
	Offset int64    `json:"offset"`
	Line   int      `json:"line"`
	Header []string `json:"header,omitempty"`
}

// Reader reads rows. It reads physical lines itself (rather than letting
// encoding/csv read the stream) to bound line length, to resynchronise
// after a bad line and to know the byte offset of every row.
type Reader struct {
	br     *bufio.Reader
	format Format
	pos    Position
}

// NewReader returns a reader of r, whose first byte is at p.Offset of the
// file. At the start of a CSV file it reads and checks the header; a
// *FileError reports a file that cannot be imported at all.
func NewReader(r io.Reader, format Format, p Position) (*Reader, error) {
	rd := &Reader{br: bufio.NewReaderSize(r, 64*1024), format: format, pos: p}
	if format != CSV && format != JSONL {
		return nil, fileErrorf("unknown file format; name the file .csv, .jsonl or .ndjson")
	}
	if p.Offset > 0 {
		if format == CSV && len(p.Header) == 0 {
			return nil, errors.New("directory: continuing a CSV file needs its header")
		}
		return rd, nil
	}
	head, _ := rd.br.Peek(4)
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return nil, fileErrorf("the file is UTF-16; save it as UTF-8")
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		rd.br.Discard(3)
		rd.pos.Offset = 3
	case bytes.IndexByte(head, 0) >= 0:
		return nil, fileErrorf("the file contains NUL bytes (UTF-16 or binary); save it as UTF-8")
	}
	if format == CSV {
		if err := rd.readHeader(); err != nil {
			return nil, err
		}
	}
	return rd, nil
}

// Position returns where the next row starts.
func (rd *Reader) Position() Position { return rd.pos }

func (rd *Reader) readHeader() error {
	for {
		line, long, err := rd.readLine()
		if long {
			return fileErrorf("line %d (the header) is longer than %d bytes", rd.pos.Line, MaxLine)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			if err == io.EOF {
				return fileErrorf("the file is empty; a CSV file starts with a header row")
			}
			if err != nil {
				return err
			}
			continue
		}
		if !utf8.Valid(line) {
			return fileErrorf("the header is not UTF-8; save the file as UTF-8")
		}
		rec, perr := csv.NewReader(bytes.NewReader(line)).Read()
		if perr != nil {
			return fileErrorf("the header is not a CSV row: %v", perr)
		}
		seen := map[string]bool{}
		var unknown []string
		for i, c := range rec {
			c = strings.ToLower(strings.TrimSpace(c))
			rec[i] = c
			switch {
			case seen[c]:
				return fileErrorf("column %q appears twice in the header", c)
			case !slices.Contains(Columns, c):
				unknown = append(unknown, c)
			}
			seen[c] = true
		}
		if len(unknown) > 0 {
			return fileErrorf("unknown columns %s; the columns are %s", quoteAll(unknown), strings.Join(Columns, ","))
		}
		var missing []string
		for _, c := range requiredColumns {
			if !seen[c] {
				missing = append(missing, c)
			}
		}
		if len(missing) > 0 {
			return fileErrorf("missing columns %s", quoteAll(missing))
		}
		rd.pos.Header = rec
		return nil
	}
}

func quoteAll(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

// readLine reads one physical line (with its newline). A line longer than
// MaxLine is consumed to its end but not kept: long is true.
func (rd *Reader) readLine() (line []byte, long bool, err error) {
	for {
		chunk, e := rd.br.ReadSlice('\n')
		rd.pos.Offset += int64(len(chunk))
		if !long {
			if len(line)+len(chunk) > MaxLine {
				long, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		switch {
		case e == bufio.ErrBufferFull:
			continue
		case e != nil:
			if len(chunk) > 0 || len(line) > 0 || long {
				rd.pos.Line++
			}
			return line, long, e
		}
		rd.pos.Line++
		return line, long, nil
	}
}

// Next returns the next row, or io.EOF after the last one. Other errors
// are read errors of the underlying stream.
func (rd *Reader) Next() (Row, error) {
	for {
		start := rd.pos.Line + 1
		line, long, err := rd.readLine()
		if err != nil && err != io.EOF {
			return Row{}, err
		}
		if long {
			return Row{Line: start, End: rd.pos.Offset, Err: fmt.Errorf("line is longer than %d bytes", MaxLine)}, nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			if err == io.EOF {
				return Row{}, io.EOF
			}
			continue
		}
		if rd.format == CSV {
			// A quoted field may span lines: while the record has an odd
			// number of quotes, it goes on in the next line.
			for bytes.Count(line, []byte{'"'})%2 == 1 && err == nil {
				var more []byte
				more, long, err = rd.readLine()
				if err != nil && err != io.EOF {
					return Row{}, err
				}
				if long || len(line)+len(more) > MaxLine {
					return Row{Line: start, End: rd.pos.Offset, Err: fmt.Errorf("record is longer than %d bytes", MaxLine)}, nil
				}
				line = append(line, more...)
			}
			return rd.csvRow(start, line), nil
		}
		return rd.jsonRow(start, line), nil
	}
}

func (rd *Reader) csvRow(start int, line []byte) Row {
	row := Row{Line: start, End: rd.pos.Offset}
	if !utf8.Valid(line) {
		row.Err = errors.New("row is not UTF-8 (the file must be saved as UTF-8)")
		return row
	}
	r := csv.NewReader(bytes.NewReader(line))
	r.FieldsPerRecord = -1
	rec, err := r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		row.Err = fmt.Errorf("row is not valid CSV: %v", err)
		return row
	}
	if len(rec) != len(rd.pos.Header) {
		row.Err = fmt.Errorf("row has %d fields; the header has %d", len(rec), len(rd.pos.Header))
		return row
	}
	row.Fields = make(map[string]string, len(rec))
	for i, v := range rec {
		row.Fields[rd.pos.Header[i]] = v
	}
	return row
}

func (rd *Reader) jsonRow(start int, line []byte) Row {
	row := Row{Line: start, End: rd.pos.Offset}
	if !utf8.Valid(line) {
		row.Err = errors.New("row is not UTF-8 (the file must be saved as UTF-8)")
		return row
	}
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil || dec.More() || obj == nil {
		row.Err = errors.New("row is not one JSON object")
		return row
	}
	row.Fields = make(map[string]string, len(obj))
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(Columns, k) {
			row.Err = fmt.Errorf("unknown key %q; the keys are %s", k, strings.Join(Columns, ","))
			row.Fields = nil
			return row
		}
		switch v := obj[k].(type) {
		case nil:
		case string:
			row.Fields[k] = v
		case bool:
			row.Fields[k] = fmt.Sprint(v)
		case json.Number:
			row.Fields[k] = v.String()
		default:
			row.Err = fmt.Errorf("%s must be a string", k)
			row.Fields = nil
			return row
		}
	}
	return row
}
