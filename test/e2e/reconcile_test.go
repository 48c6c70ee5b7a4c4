//go:build e2e

package e2e

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fw "github.com/faas-wasm/faas-wasm/provider"
)

// TestKubernetesRecreatesDeletedObjects deletes a running function's
// Service, then its Deployment, by hand (admin client, as kubectl delete
// does) while the provider binary runs: each is created again by the
// provider's reconcile loop and the function answers again. A function
// deleted through the API stays deleted. On 5770c34 a Service deleted by
// hand came back only at the next provider start and a Deployment deleted
// by hand never.
func TestKubernetesRecreatesDeletedObjects(t *testing.T) {
	const fn, query = "healed", "?n=100"
	c := newCluster(t, testNamespace("heal"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	image := c.pushFunction(ctx, t, "prime-numbers", time.Now().Format("150405.000"))
	p := c.startBinary(t, "--autoscale=false")
	api := p.api()
	want := deployReady(ctx, t, c, api, fw.FunctionDeployment{Service: fn, Image: image}, 1, query)

	services, deployments := c.admin.CoreV1().Services(c.namespace), c.admin.AppsV1().Deployments(c.namespace)
	svc, err := services.Get(ctx, fn, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := services.Delete(ctx, fn, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	took := waitFor(t, 30*time.Second, "the Service created again", func() bool {
		s, err := services.Get(ctx, fn, metav1.GetOptions{})
		return err == nil && s.UID != svc.UID
	})
	t.Logf("Service deleted by hand: created again after %v", took.Round(time.Millisecond))
	if got := waitReady(ctx, t, c, api, fn, 1, query); got != want {
		t.Fatalf("after the Service came back: %q, want %q", got, want)
	}

	d, err := deployments.Get(ctx, fn, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	background := metav1.DeletePropagationBackground
	if err := deployments.Delete(ctx, fn, metav1.DeleteOptions{PropagationPolicy: &background}); err != nil {
		t.Fatal(err)
	}
	deleted := time.Now()
	took = waitFor(t, 30*time.Second, "the Deployment created again", func() bool {
		nd, err := deployments.Get(ctx, fn, metav1.GetOptions{})
		return err == nil && nd.UID != d.UID
	})
	t.Logf("Deployment deleted by hand: created again after %v", took.Round(time.Millisecond))
	if got := waitReady(ctx, t, c, api, fn, 1, query); got != want {
		t.Fatalf("after the Deployment came back: %q, want %q", got, want)
	}
	t.Logf("Deployment deleted by hand: function answering again %v after the deletion", time.Since(deleted).Round(time.Millisecond))

	api.expect(t, http.StatusAccepted, http.MethodDelete, "/system/functions", fw.DeleteFunctionRequest{FunctionName: fn})
	waitFor(t, 2*time.Minute, "the function's Deployment gone", func() bool {
		_, err := deployments.Get(ctx, fn, metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
	time.Sleep(3 * time.Second) // what a wrong repair would take: seconds, as above
	if _, err := deployments.Get(ctx, fn, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("a function deleted through the API was created again (get: %v)", err)
	}
	if log, err := os.ReadFile(p.logPath); err == nil {
		for _, line := range strings.Split(string(log), "\n") {
			if strings.Contains(line, "created again") {
				t.Logf("provider: %s", line)
			}
		}
	}
}
