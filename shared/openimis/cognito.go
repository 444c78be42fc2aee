package openimis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// CognitoAPI is the part of the Cognito client the signer calls.
type CognitoAPI interface {
	InitiateAuth(ctx context.Context, in *cip.InitiateAuthInput, opts ...func(*cip.Options)) (*cip.InitiateAuthOutput, error)
	RevokeToken(ctx context.Context, in *cip.RevokeTokenInput, opts ...func(*cip.Options)) (*cip.RevokeTokenOutput, error)
}

// Cognito signs users in with the user pool's own API (USER_PASSWORD_AUTH
// on the public app client, which has no secret), so Cognito's lockout
// and threat protection apply to every attempt.
type Cognito struct {
	API      CognitoAPI
	ClientID string
	// RefreshTTL is the app client's refresh token validity.
	RefreshTTL time.Duration
	Now        func() time.Time
}

func (c *Cognito) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// SignIn implements Signer.
func (c *Cognito) SignIn(ctx context.Context, username, password string) (Tokens, error) {
	out, err := c.API.InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow:       types.AuthFlowTypeUserPasswordAuth,
		ClientId:       aws.String(c.ClientID),
		AuthParameters: map[string]string{"USERNAME": username, "PASSWORD": password},
	})
	if err != nil {
		return Tokens{}, cognitoError(err)
	}
	if out.AuthenticationResult == nil {
		return Tokens{}, ErrChallenge
	}
	t := c.tokens(out.AuthenticationResult)
	t.RefreshExpires = c.now().Add(c.RefreshTTL)
	return t, nil
}

// Refresh implements Signer.
func (c *Cognito) Refresh(ctx context.Context, refresh string) (Tokens, error) {
	out, err := c.API.InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow:       types.AuthFlowTypeRefreshTokenAuth,
		ClientId:       aws.String(c.ClientID),
		AuthParameters: map[string]string{"REFRESH_TOKEN": refresh},
	})
	if err != nil {
		return Tokens{}, cognitoError(err)
	}
	if out.AuthenticationResult == nil {
		return Tokens{}, ErrCredentials
	}
	t := c.tokens(out.AuthenticationResult)
	// The refresh token lives RefreshTTL from the sign-in, which the new
	// access token dates (auth_time).
	if at, ok := claimTime(unverifiedClaims(t.Access), "auth_time"); ok {
		t.RefreshExpires = at.Add(c.RefreshTTL)
	}
	return t, nil
}

// Revoke implements Signer.
func (c *Cognito) Revoke(ctx context.Context, refresh string) error {
	_, err := c.API.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: aws.String(c.ClientID), Token: aws.String(refresh)})
	return err
}

func (c *Cognito) tokens(r *types.AuthenticationResultType) Tokens {
	t := Tokens{Access: aws.ToString(r.AccessToken), Refresh: aws.ToString(r.RefreshToken),
		AccessExpires: c.now().Add(time.Duration(r.ExpiresIn) * time.Second)}
	if exp, ok := claimTime(unverifiedClaims(t.Access), "exp"); ok {
		t.AccessExpires = exp
	}
	return t
}

// cognitoError maps Cognito's refusals to ErrCredentials and keeps other
// failures (throttling, outages) as they are, to be answered UNAVAILABLE.
func cognitoError(err error) error {
	var (
		na *types.NotAuthorizedException
		nf *types.UserNotFoundException
		nc *types.UserNotConfirmedException
		pr *types.PasswordResetRequiredException
	)
	switch {
	case errors.As(err, &na), errors.As(err, &nf), errors.As(err, &nc), errors.As(err, &pr):
		return ErrCredentials
	}
	return fmt.Errorf("openimis: cognito: %w", err)
}
