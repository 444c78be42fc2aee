package streams

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"time"

	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// motoTimestamp matches the two timestamps moto 5.1.1 sends as ISO strings
// ("2026-11-26T23:26:57.853297", naive UTC) where DynamoDB Streams sends
// epoch seconds; the SDK fails to deserialize them otherwise.
var motoTimestamp = regexp.MustCompile(`"(ApproximateCreationDateTime|CreationRequestDateTime)":\s*"([0-9T:.+\-]+)"`)

// FixMotoDates is a client API option for the DynamoDB Streams client that
// rewrites moto's ISO timestamps into epoch seconds before the SDK parses
// the response. Add it only to clients that talk to moto:
//
//	dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) {
//		o.APIOptions = append(o.APIOptions, streams.FixMotoDates)
//	})
//
// Responses from AWS contain numbers there and pass through unchanged.
func FixMotoDates(stack *middleware.Stack) error {
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("RedressFixMotoDates", fixMotoDates), middleware.After)
}

func fixMotoDates(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	// Added After, this runs before the operation deserializer in the
	// response direction: next returns the raw response, not yet parsed.
	out, md, err := next.HandleDeserialize(ctx, in)
	if err != nil {
		return out, md, err
	}
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if !ok || resp.Body == nil {
		return out, md, nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return out, md, fmt.Errorf("streams: read response body: %w", err)
	}
	body = motoTimestamp.ReplaceAllFunc(body, func(m []byte) []byte {
		sub := motoTimestamp.FindSubmatch(m)
		t, err := parseMotoTime(string(sub[2]))
		if err != nil {
			return m
		}
		secs := strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64)
		return []byte(`"` + string(sub[1]) + `":` + secs)
	})
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return out, md, nil
}

func parseMotoTime(s string) (time.Time, error) {
	// moto uses naive UTC datetimes; accept an offset too in case a later
	// version adds one.
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("streams: unrecognized moto timestamp %q", s)
}
