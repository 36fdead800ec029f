package validate

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
)

var overlays = []string{"dev", "production"}

var services = []string{"api", "mailer", "processor", "scheduler", "files"}

// secretVariables must come from a Secret, never from a literal or a ConfigMap.
var secretVariables = map[string]bool{"RABBITMQ_URL": true, "MONGO_URL": true, "JWT_SECRET": true, "SMTP_URL": true}

func buildOverlay(t *testing.T, name string) []Object {
	t.Helper()
	stream, err := Build(filepath.Join("..", "overlays", name))
	if err != nil {
		t.Fatal(err)
	}
	if out := os.Getenv("CONVEYOR_K8S_OUT"); out != "" {
		if err := os.WriteFile(filepath.Join(out, name+".yaml"), stream, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var objects []Object
	for _, doc := range SplitDocuments(stream) {
		obj, err := DecodeStrict(doc)
		if err != nil {
			t.Errorf("overlay %s: %v", name, err)
			continue
		}
		objects = append(objects, obj)
	}
	if len(objects) == 0 {
		t.Fatalf("overlay %s built no objects", name)
	}
	return objects
}

func TestOverlays(t *testing.T) {
	for _, overlay := range overlays {
		t.Run(overlay, func(t *testing.T) {
			objects := buildOverlay(t, overlay)
			t.Logf("%s: %d objects decoded strictly", overlay, len(objects))
			checkOverlay(t, objects)
		})
	}
}

func checkOverlay(t *testing.T, objects []Object) {
	deployments := map[string]*appsv1.Deployment{}
	var pdbs []*policyv1.PodDisruptionBudget
	var hpas []*autoscalingv2.HorizontalPodAutoscaler
	scaled := map[string]*kedav1alpha1.ScaledObject{}
	auths := map[string]bool{}
	config := map[string]string{}
	for _, o := range objects {
		switch typed := o.Typed.(type) {
		case *appsv1.Deployment:
			deployments[typed.Name] = typed
		case *policyv1.PodDisruptionBudget:
			pdbs = append(pdbs, typed)
		case *autoscalingv2.HorizontalPodAutoscaler:
			hpas = append(hpas, typed)
		case *kedav1alpha1.ScaledObject:
			scaled[typed.Spec.ScaleTargetRef.Name] = typed
		case *kedav1alpha1.TriggerAuthentication:
			auths[typed.Name] = true
		case *corev1.ConfigMap:
			for k, v := range typed.Data {
				config[k] = v
			}
		}
	}
	graceMs, err := strconv.Atoi(config["SHUTDOWN_GRACE_MS"])
	if err != nil {
		t.Fatalf("ConfigMap SHUTDOWN_GRACE_MS: %v", err)
	}
	for _, name := range services {
		d, ok := deployments[name]
		if !ok {
			t.Errorf("no Deployment %s", name)
			continue
		}
		checkDeployment(t, d, graceMs)
		if !coveredByPDB(d, pdbs) {
			t.Errorf("Deployment %s: no PodDisruptionBudget selects its pods", name)
		}
	}
	if d := deployments["scheduler"]; d != nil && (d.Spec.Replicas == nil || *d.Spec.Replicas < 2) {
		t.Errorf("scheduler: want >= 2 replicas (leaderless), got %v", d.Spec.Replicas)
	}
	apiHPA := false
	for _, h := range hpas {
		if h.Spec.ScaleTargetRef.Kind == "Deployment" && h.Spec.ScaleTargetRef.Name == "api" {
			apiHPA = true
		}
	}
	if !apiHPA {
		t.Error("no HorizontalPodAutoscaler for the api Deployment")
	}
	for _, worker := range []string{"mailer", "processor", "files"} {
		so, ok := scaled[worker]
		if !ok {
			t.Errorf("no KEDA ScaledObject for %s", worker)
			continue
		}
		queues := map[string]bool{}
		for _, trigger := range so.Spec.Triggers {
			if trigger.Type != "rabbitmq" {
				t.Errorf("ScaledObject %s: trigger type %q, want rabbitmq", so.Name, trigger.Type)
			}
			if trigger.AuthenticationRef == nil || !auths[trigger.AuthenticationRef.Name] {
				t.Errorf("ScaledObject %s: trigger %s needs an authenticationRef to a TriggerAuthentication of the overlay", so.Name, trigger.Name)
			}
			if _, err := strconv.Atoi(trigger.Metadata["value"]); err != nil || trigger.Metadata["mode"] != "QueueLength" {
				t.Errorf("ScaledObject %s: trigger %s wants mode QueueLength and an integer value", so.Name, trigger.Name)
			}
			if _, literal := trigger.Metadata["host"]; literal {
				t.Errorf("ScaledObject %s: broker URL given literally; it belongs in the TriggerAuthentication's Secret", so.Name)
			}
			queues[trigger.Metadata["queueName"]] = true
		}
		for _, q := range []string{"conveyor." + worker, "conveyor." + worker + ".priority", "conveyor." + worker + ".fair"} {
			if !queues[q] {
				t.Errorf("ScaledObject %s: no trigger on queue %s (every lane must count)", so.Name, q)
			}
		}
	}
}

func checkDeployment(t *testing.T, d *appsv1.Deployment, graceMs int) {
	spec := d.Spec.Template.Spec
	if spec.TerminationGracePeriodSeconds == nil || *spec.TerminationGracePeriodSeconds*1000 <= int64(graceMs) {
		t.Errorf("%s: terminationGracePeriodSeconds must exceed SHUTDOWN_GRACE_MS (%d ms)", d.Name, graceMs)
	}
	if psc := spec.SecurityContext; psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Errorf("%s: pod securityContext.runAsNonRoot must be true", d.Name)
	}
	if d.Spec.Template.Annotations["prometheus.io/scrape"] != "true" {
		t.Errorf("%s: pods carry no prometheus.io/scrape annotation", d.Name)
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("%s: want one container, got %d", d.Name, len(spec.Containers))
	}
	c := spec.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("%s: container needs readOnlyRootFilesystem: true and allowPrivilegeEscalation: false", d.Name)
	}
	probe := func(what string, p *corev1.Probe, path string) {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path {
			t.Errorf("%s: %s probe must GET %s", d.Name, what, path)
		}
	}
	probe("readiness", c.ReadinessProbe, "/readyz")
	probe("liveness", c.LivenessProbe, "/healthz")
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("%s: needs cpu/memory requests and a memory limit", d.Name)
	}
	if !strings.Contains(c.Image, "conveyor/"+d.Name) {
		t.Errorf("%s: image %q is not conveyor/%s", d.Name, c.Image, d.Name)
	}
	for _, e := range c.Env {
		if secretVariables[e.Name] && (e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
			t.Errorf("%s: %s must come from a secretKeyRef", d.Name, e.Name)
		}
	}
}

func coveredByPDB(d *appsv1.Deployment, pdbs []*policyv1.PodDisruptionBudget) bool {
	for _, p := range pdbs {
		if p.Spec.Selector == nil {
			continue
		}
		selector := labels.SelectorFromSet(p.Spec.Selector.MatchLabels)
		if p.Namespace == d.Namespace && selector.Matches(labels.Set(d.Spec.Template.Labels)) {
			return true
		}
	}
	return false
}

// The strict decoder must refuse what the API server would not accept, or the checks above
// prove nothing.
func TestDecodeStrictRefusesUnknownFields(t *testing.T) {
	cases := map[string]string{
		"unknown Deployment field": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicass: 2}\n",
		"unknown KEDA field":       "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: x}\nspec: {scaleTargetRef: {name: x}, maxReplicas: 3}\n",
		"wrong type":               "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: eighty}]}\n",
		"unregistered kind":        "apiVersion: v1\nkind: Secret\nmetadata: {name: x}\nstringData: {a: b}\n",
		"duplicate field":          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\ndata: {c: d}\n",
	}
	for name, doc := range cases {
		if _, err := DecodeStrict([]byte(doc)); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
	if _, err := DecodeStrict([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\n")); err != nil {
		t.Errorf("a valid ConfigMap was refused: %v", err)
	}
}
