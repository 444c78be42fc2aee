package main

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"sync"
	"time"
)

// jwks fetches and caches the issuer's signing keys. Keys are kept for
// ttl; an unknown kid (the pool rotated its keys) refetches at once, but
// at most once per minRefetch, so tokens with made-up kids cannot make
// every request a fetch.
type jwks struct {
	url        string
	client     *http.Client
	ttl        time.Duration
	minRefetch time.Duration
	now        func() time.Time

	mu      sync.Mutex
	keys    map[string]*rsa.PublicKey
	fetched time.Time
}

func newJWKS(url string) *jwks {
	return &jwks{url: url, client: &http.Client{Timeout: 3 * time.Second}, ttl: time.Hour, minRefetch: time.Minute, now: time.Now}
}

var errUnknownKey = errors.New("authorizer: unknown signing key")

// key returns the RSA key of kid.
func (j *jwks) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now()
	fresh := j.keys != nil && now.Sub(j.fetched) < j.ttl
	if k, ok := j.keys[kid]; ok && fresh {
		return k, nil
	}
	if !fresh || now.Sub(j.fetched) >= j.minRefetch {
		keys, err := j.fetch(ctx)
		if err != nil {
			if k, ok := j.keys[kid]; ok {
				return k, nil // a stale key beats refusing everyone while the issuer is down
			}
			return nil, err
		}
		j.keys, j.fetched = keys, now
	}
	if k, ok := j.keys[kid]; ok {
		return k, nil
	}
	return nil, errUnknownKey
}

func (j *jwks) fetch(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := j.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("authorizer: fetch JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("authorizer: fetch JWKS: status %d", resp.StatusCode)
	}
	var doc struct {
		Keys []struct {
			Kid string `json:"kid"`
			Kty string `json:"kty"`
			N   string `json:"n"`
			E   string `json:"e"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 1<<20)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("authorizer: decode JWKS: %w", err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range doc.Keys {
		if k.Kty != "RSA" {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(e) > 4 {
			continue
		}
		keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	return keys, nil
}

// keys adapts jwks to the handler's keySource.
type keys struct{ j *jwks }

func (k keys) key(ctx context.Context, kid string) (any, error) { return k.j.key(ctx, kid) }
