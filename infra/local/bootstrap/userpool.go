package bootstrap

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// PoolUser is a user the local user pool starts with.
type PoolUser struct {
	Username, GivenName, FamilyName string
	Groups                          []string
	// Sub, when set, is given to the user as their sub (see
	// CreateUserPool); Disabled creates them disabled.
	Sub      string
	Disabled bool
}

// CreateUserPool finds the user pool called name or creates it, then makes
// sure each user and group exists and each user is in its groups (users
// already there are left as they are, so an administrator's local changes
// survive a restart). It returns the pool id.
//
// A new user with a Sub gets it: Cognito assigns every user a random sub
// that nobody can change, but moto lets AdminUpdateUserAttributes set it,
// and the seeded staff's subs must be their seeded ids, which existing
// tickets and dev tokens (token -username alice) name. staffsync then
// reads them from the pool like any sub. An emulator that refuses (as
// Cognito does, with InvalidParameterException) leaves the user its own
// sub.
func CreateUserPool(ctx context.Context, cfg aws.Config, name string, users []PoolUser) (string, error) {
	c := cip.NewFromConfig(cfg)
	id, err := findPool(ctx, c, name)
	if err != nil {
		return "", err
	}
	if id == "" {
		out, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(name)})
		if err != nil {
			return "", fmt.Errorf("bootstrap: create user pool %s: %w", name, err)
		}
		id = aws.ToString(out.UserPool.Id)
	}
	groups := map[string]bool{}
	for _, u := range users {
		for _, g := range u.Groups {
			if groups[g] {
				continue
			}
			groups[g] = true
			if _, err := c.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: aws.String(id), GroupName: aws.String(g)}); err != nil {
				var exists *ciptypes.GroupExistsException
				if !errors.As(err, &exists) {
					return "", fmt.Errorf("bootstrap: create group %s: %w", g, err)
				}
			}
		}
	}
	for _, u := range users {
		_, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(id), Username: aws.String(u.Username),
			MessageAction: ciptypes.MessageActionTypeSuppress,
			UserAttributes: []ciptypes.AttributeType{
				{Name: aws.String("given_name"), Value: aws.String(u.GivenName)},
				{Name: aws.String("family_name"), Value: aws.String(u.FamilyName)},
			}})
		var exists *ciptypes.UsernameExistsException
		if errors.As(err, &exists) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("bootstrap: create user %s: %w", u.Username, err)
		}
		if u.Sub != "" {
			_, err := c.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: aws.String(id), Username: aws.String(u.Username),
				UserAttributes: []ciptypes.AttributeType{{Name: aws.String("sub"), Value: aws.String(u.Sub)}}})
			var refused *ciptypes.InvalidParameterException
			if err != nil && !errors.As(err, &refused) {
				return "", fmt.Errorf("bootstrap: sub of %s: %w", u.Username, err)
			}
		}
		if u.Disabled {
			if _, err := c.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: aws.String(id), Username: aws.String(u.Username)}); err != nil {
				return "", fmt.Errorf("bootstrap: disable %s: %w", u.Username, err)
			}
		}
		for _, g := range u.Groups {
			if _, err := c.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: aws.String(id),
				Username: aws.String(u.Username), GroupName: aws.String(g)}); err != nil {
				return "", fmt.Errorf("bootstrap: add %s to %s: %w", u.Username, g, err)
			}
		}
	}
	return id, nil
}

func findPool(ctx context.Context, c *cip.Client, name string) (string, error) {
	var next *string
	for {
		out, err := c.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60), NextToken: next})
		if err != nil {
			return "", fmt.Errorf("bootstrap: list user pools: %w", err)
		}
		for _, p := range out.UserPools {
			if aws.ToString(p.Name) == name {
				return aws.ToString(p.Id), nil
			}
		}
		if next = out.NextToken; next == nil || *next == "" {
			return "", nil
		}
	}
}
