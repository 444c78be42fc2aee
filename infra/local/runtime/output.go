package runtime

import (
	"bytes"
	"io"
	"sync"
)

// PrefixWriter writes each line it receives to an underlying writer with a
// prefix, in one Write per line, so that lines of several processes sharing
// a terminal interleave whole and stay attributable.
type PrefixWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix []byte
	buf    []byte
}

// NewPrefixWriter returns a writer that prefixes every line written to w.
func NewPrefixWriter(w io.Writer, prefix string) *PrefixWriter {
	return &PrefixWriter{w: w, prefix: []byte(prefix)}
}

// Write buffers p and writes every complete line.
func (p *PrefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		if err := p.emit(p.buf[:i+1]); err != nil {
			return len(b), err
		}
		p.buf = p.buf[i+1:]
	}
	// A process that never writes a newline must not grow the buffer forever.
	if len(p.buf) > 64<<10 {
		err := p.emit(append(p.buf, '\n'))
		p.buf = nil
		return len(b), err
	}
	return len(b), nil
}

// Flush writes a final unterminated line, if any.
func (p *PrefixWriter) Flush() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.buf) == 0 {
		return nil
	}
	err := p.emit(append(p.buf, '\n'))
	p.buf = nil
	return err
}

func (p *PrefixWriter) emit(line []byte) error {
	out := make([]byte, 0, len(p.prefix)+len(line))
	out = append(append(out, p.prefix...), line...)
	_, err := p.w.Write(out)
	return err
}
