//lint:file-ignore SA1019 the Go bindings return cxapi.SynthesisMessage from Annotations and offer no replacement yet

package stack_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// TestAwsSolutions_NoUnsuppressedErrors runs the cdk-nag AwsSolutions pack
// over every test configuration. Suppressions live next to the resources
// they concern (nagSuppress), each with its reason.
func TestAwsSolutions_NoUnsuppressedErrors(t *testing.T) {
	for _, name := range []string{"dev", "prod", "external"} {
		t.Run(name, func(t *testing.T) {
			annotations := assertions.Annotations_FromStack(synth(t, name).stack.Stack)
			match := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
			for _, m := range *annotations.FindError(jsii.String("*"), match) {
				t.Errorf("%s: %v", *m.Id, describe(m.Entry.Data))
			}
			for _, m := range *annotations.FindWarning(jsii.String("*"), match) {
				t.Logf("warning %s: %v", *m.Id, describe(m.Entry.Data))
			}
		})
	}
}

func describe(v any) string {
	if p, ok := v.(*string); ok && p != nil {
		return *p
	}
	return fmt.Sprint(v)
}
