// Package validate builds Conveyor's kustomize overlays offline and checks every object
// they produce against the upstream Kubernetes and KEDA API types.
package validate

import (
	"bytes"
	"encoding/json"
	"fmt"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// Object is one built document, decoded into its upstream type.
type Object struct {
	Kind string
	Name string
	// Typed is a pointer to the upstream type (e.g. *appsv1.Deployment).
	Typed any
}

// newTyped maps apiVersion/kind to the upstream type a document must decode into. A kind
// not listed here is an error: every object the overlays produce is checked.
var newTyped = map[string]func() any{
	"v1/ConfigMap":                           func() any { return &corev1.ConfigMap{} },
	"v1/Namespace":                           func() any { return &corev1.Namespace{} },
	"v1/Service":                             func() any { return &corev1.Service{} },
	"apps/v1/Deployment":                     func() any { return &appsv1.Deployment{} },
	"policy/v1/PodDisruptionBudget":          func() any { return &policyv1.PodDisruptionBudget{} },
	"autoscaling/v2/HorizontalPodAutoscaler": func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"keda.sh/v1alpha1/ScaledObject":          func() any { return &kedav1alpha1.ScaledObject{} },
	"keda.sh/v1alpha1/TriggerAuthentication": func() any { return &kedav1alpha1.TriggerAuthentication{} },
}

// Build runs kustomize (its krusty engine, as `kustomize build` does) on dir and returns
// the rendered YAML stream.
func Build(dir string) ([]byte, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	resources, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	return resources.AsYaml()
}

// BuildUnrestricted is Build for a kustomization that loads files from outside its own
// directory (k8s/observability takes the dashboards and rules from observability/), as
// `kustomize build --load-restrictor=LoadRestrictionsNone` does.
func BuildUnrestricted(dir string) ([]byte, error) {
	opts := krusty.MakeDefaultOptions()
	opts.LoadRestrictions = types.LoadRestrictionsNone
	resources, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	return resources.AsYaml()
}

// DecodeStrict decodes one YAML document into its upstream type, failing on unknown or
// duplicate fields and on values of the wrong type.
func DecodeStrict(doc []byte) (Object, error) {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil {
		return Object{}, err
	}
	key := head.APIVersion + "/" + head.Kind
	mk, ok := newTyped[key]
	if !ok {
		return Object{}, fmt.Errorf("%s %q: no upstream type registered for this kind", key, head.Metadata.Name)
	}
	typed := mk()
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return Object{}, fmt.Errorf("%s %q: %w", key, head.Metadata.Name, err)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(typed); err != nil {
		return Object{}, fmt.Errorf("%s %q: %w", key, head.Metadata.Name, err)
	}
	return Object{Kind: head.Kind, Name: head.Metadata.Name, Typed: typed}, nil
}

// SplitDocuments splits a YAML stream on its `---` separators.
func SplitDocuments(stream []byte) [][]byte {
	var docs [][]byte
	for _, part := range bytes.Split(append([]byte("\n"), stream...), []byte("\n---\n")) {
		if len(bytes.TrimSpace(part)) > 0 {
			docs = append(docs, part)
		}
	}
	return docs
}
