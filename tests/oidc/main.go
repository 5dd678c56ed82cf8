// Command oidc serves github.com/oauth2-proxy/mockoidc on 127.0.0.1 for the login tests
// (tests/test_login_proxy.py): a real OpenID Connect provider, discovery, JWKS, code flow with PKCE
// and nonce, whose next signed-in user a test chooses.
//
// Its client is OIDC_CLIENT_ID and OIDC_CLIENT_SECRET where set, as a stack's settings name it.
// It prints its endpoints and client as one JSON line on stdout, then serves until stopped.
// A POST of {"email": "...", "groups": ["..."]} to its "control" URL queues the user the next authorization
// signs in.
package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/oauth2-proxy/mockoidc"
)

type queued struct {
	Email  string   `json:"email"`
	Groups []string `json:"groups"`
}

func main() {
	provider, err := mockoidc.NewServer(nil)
	if err != nil {
		fail(err)
	}
	if id := os.Getenv("OIDC_CLIENT_ID"); id != "" {
		provider.ClientID = id
	}
	if secret := os.Getenv("OIDC_CLIENT_SECRET"); secret != "" {
		provider.ClientSecret = secret
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	if err := provider.Start(listener, nil); err != nil {
		fail(err)
	}
	// the provider's mux serves its own paths alone: the test's queue listens beside it
	control, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	go func() {
		fail(http.Serve(control, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var user queued
			if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&user) != nil || user.Email == "" {
				http.Error(w, `POST {"email": "...", "groups": [...]}`, http.StatusBadRequest)
				return
			}
			provider.QueueUser(&mockoidc.MockUser{
				Subject: user.Email, Email: user.Email, EmailVerified: true, PreferredUsername: user.Email,
				Groups: user.Groups,
			})
			w.WriteHeader(http.StatusNoContent)
		})))
	}()
	endpoints := map[string]string{
		"issuer":        provider.Issuer(),
		"authorization": provider.AuthorizationEndpoint(),
		"token":         provider.TokenEndpoint(),
		"jwks":          provider.JWKSEndpoint(),
		"clientId":      provider.ClientID,
		"clientSecret":  provider.ClientSecret,
		"control":       "http://" + control.Addr().String() + "/users",
	}
	if err := json.NewEncoder(os.Stdout).Encode(endpoints); err != nil {
		fail(err)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
	_ = provider.Shutdown()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "oidc:", err)
	os.Exit(1)
}
