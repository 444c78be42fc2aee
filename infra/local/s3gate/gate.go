// Package s3gate puts in front of the emulator's S3 the checks S3 makes
// and moto 5.1.1 does not: a presigned POST is refused (and nothing is
// stored) unless its policy is signed with the local secret, unexpired,
// and every condition holds — exact key, content-length-range, content
// type, encryption fields; a presigned GET or PUT is refused once expired.
// Everything else passes through unchanged. The local stack points the
// functions' S3 endpoint (AWS_ENDPOINT_URL_S3) at it, so the URLs they
// sign lead here.
//
// It checks what Redress's URLs rely on; it is not a full S3 policy
// engine (no success_action_* or acl conditions, no signature check of
// presigned GETs beyond their expiry).
package s3gate

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Gate is the checking proxy.
type Gate struct {
	proxy  *httputil.ReverseProxy
	secret string
	// MaxBody bounds a POST body read for checking (default 64 MiB).
	MaxBody int64
	Now     func() time.Time
}

// New returns a gate in front of upstream that checks signatures made with
// secret (the local stack's secret access key).
func New(upstream *url.URL, secret string) *Gate {
	return &Gate{proxy: httputil.NewSingleHostReverseProxy(upstream), secret: secret, MaxBody: 64 << 20, Now: time.Now}
}

// s3Error is S3's error document.
type s3Error struct {
	XMLName xml.Name `xml:"Error"`
	Code    string   `xml:"Code"`
	Message string   `xml:"Message"`
}

// refusal is a request S3 would refuse.
type refusal struct {
	status        int
	code, message string
}

func (r *refusal) Error() string { return r.code + ": " + r.message }

func denied(format string, args ...any) *refusal {
	return &refusal{http.StatusForbidden, "AccessDenied", fmt.Sprintf(format, args...)}
}

func (g *Gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var err *refusal
	switch {
	case r.Method == http.MethodPost && isMultipart(r):
		var body []byte
		body, err = g.checkPost(r)
		if err == nil {
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		}
	case r.URL.Query().Get("X-Amz-Expires") != "":
		err = g.checkExpiry(r.URL.Query())
	}
	if err != nil {
		b, _ := xml.Marshal(s3Error{Code: err.code, Message: err.message})
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(err.status)
		w.Write(append([]byte(xml.Header), b...))
		return
	}
	g.proxy.ServeHTTP(w, r)
}

func isMultipart(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "multipart/form-data"
}

// checkExpiry refuses a presigned URL used after X-Amz-Date + X-Amz-Expires.
func (g *Gate) checkExpiry(q url.Values) *refusal {
	signed, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	secs, err2 := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || err2 != nil {
		return denied("Malformed presigned URL.")
	}
	if g.Now().After(signed.Add(time.Duration(secs) * time.Second)) {
		return denied("Request has expired")
	}
	return nil
}

// form is a POST's fields (names lower-cased: S3 matches them without
// case) and the file's size.
type form struct {
	fields   map[string]string
	fileSize int64
	hasFile  bool
}

func (g *Gate) checkPost(r *http.Request) ([]byte, *refusal) {
	body, err := io.ReadAll(io.LimitReader(r.Body, g.MaxBody+1))
	if err != nil {
		return nil, &refusal{http.StatusBadRequest, "IncompleteBody", "The request body could not be read."}
	}
	if int64(len(body)) > g.MaxBody {
		return nil, &refusal{http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"}
	}
	_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	f := form{fields: map[string]string{}}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &refusal{http.StatusBadRequest, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data."}
		}
		name := strings.ToLower(p.FormName())
		if name == "file" {
			n, _ := io.Copy(io.Discard, p)
			f.fileSize, f.hasFile = n, true
			break // S3 ignores fields after the file
		}
		v, _ := io.ReadAll(p)
		f.fields[name] = string(v)
	}
	if !f.hasFile {
		return nil, &refusal{http.StatusBadRequest, "InvalidArgument", "POST requires exactly one file upload per request."}
	}
	bucket := strings.Trim(r.URL.Path, "/")
	if i := strings.IndexByte(bucket, '/'); i >= 0 {
		bucket = bucket[:i]
	}
	if rf := g.checkPolicy(bucket, f); rf != nil {
		return nil, rf
	}
	return body, nil
}

// checkPolicy verifies the policy's signature and expiry and that every
// condition holds and every field is covered by one.
func (g *Gate) checkPolicy(bucket string, f form) *refusal {
	policy := f.fields["policy"]
	if policy == "" {
		return denied("Anonymous POST is not allowed: the form has no policy.")
	}
	if !hmac.Equal([]byte(g.sign(policy, f.fields["x-amz-credential"])), []byte(f.fields["x-amz-signature"])) {
		return denied("The request signature we calculated does not match the signature you provided.")
	}
	raw, err := base64.StdEncoding.DecodeString(policy)
	if err != nil {
		return denied("Invalid Policy: not base64.")
	}
	var doc struct {
		Expiration string `json:"expiration"`
		Conditions []any  `json:"conditions"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return denied("Invalid Policy: %v.", err)
	}
	exp, err := time.Parse(time.RFC3339, doc.Expiration)
	if err != nil {
		return denied("Invalid Policy: Invalid 'expiration' value.")
	}
	if g.Now().After(exp) {
		return denied("Invalid according to Policy: Policy expired.")
	}
	value := func(name string) string {
		if name == "bucket" {
			return bucket
		}
		return f.fields[name]
	}
	covered := map[string]bool{"bucket": true}
	for _, c := range doc.Conditions {
		switch c := c.(type) {
		case map[string]any:
			for k, v := range c {
				name := strings.ToLower(k)
				covered[name] = true
				if value(name) != fmt.Sprint(v) {
					return denied("Invalid according to Policy: Policy Condition failed: [\"eq\", \"$%s\", %q]", k, fmt.Sprint(v))
				}
			}
		case []any:
			if rf := checkList(c, value, covered, f.fileSize); rf != nil {
				return rf
			}
		default:
			return denied("Invalid Policy: Invalid Simple-Condition.")
		}
	}
	for name := range f.fields {
		switch {
		case covered[name], name == "policy", name == "x-amz-signature", strings.HasPrefix(name, "x-ignore-"):
		default:
			return denied("Invalid according to Policy: Extra input fields: %s", name)
		}
	}
	return nil
}

func checkList(c []any, value func(string) string, covered map[string]bool, size int64) *refusal {
	if len(c) != 3 {
		return denied("Invalid Policy: condition %v must have three elements.", c)
	}
	op, _ := c[0].(string)
	if strings.ToLower(op) == "content-length-range" {
		lo, err1 := strconv.ParseInt(fmt.Sprint(c[1]), 10, 64)
		hi, err2 := strconv.ParseInt(fmt.Sprint(c[2]), 10, 64)
		if err1 != nil || err2 != nil {
			return denied("Invalid Policy: content-length-range bounds must be integers.")
		}
		if size > hi {
			return &refusal{http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"}
		}
		if size < lo {
			return &refusal{http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size"}
		}
		return nil
	}
	field, _ := c[1].(string)
	name := strings.ToLower(strings.TrimPrefix(field, "$"))
	want := fmt.Sprint(c[2])
	covered[name] = true
	ok := false
	switch strings.ToLower(op) {
	case "eq":
		ok = value(name) == want
	case "starts-with":
		ok = strings.HasPrefix(value(name), want)
	default:
		return denied("Invalid Policy: unknown condition %q.", op)
	}
	if !ok {
		return denied("Invalid according to Policy: Policy Condition failed: [%q, %q, %q]", op, field, want)
	}
	return nil
}

// sign computes the SigV4 POST signature of policy for the credential
// scope <key>/<date>/<region>/<service>/aws4_request.
func (g *Gate) sign(policy, credential string) string {
	parts := strings.Split(credential, "/")
	if len(parts) != 5 {
		return ""
	}
	mac := func(key []byte, data string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(data))
		return h.Sum(nil)
	}
	k := mac([]byte("AWS4"+g.secret), parts[1])
	k = mac(k, parts[2])
	k = mac(k, parts[3])
	k = mac(k, parts[4])
	return hex.EncodeToString(mac(k, policy))
}
