package validate

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// The dashboards of observability/grafana/dashboards, provisioned for Kubernetes.
var dashboards = []string{"overview", "job-types", "workers", "scheduler", "mail"}

func TestObservability(t *testing.T) {
	stream, err := BuildUnrestricted(filepath.Join("..", "observability"))
	if err != nil {
		t.Fatal(err)
	}
	maps := map[string]*corev1.ConfigMap{}
	for _, doc := range SplitDocuments(stream) {
		obj, err := DecodeStrict(doc)
		if err != nil {
			t.Errorf("k8s/observability: %v", err)
			continue
		}
		cm, ok := obj.Typed.(*corev1.ConfigMap)
		if !ok {
			t.Errorf("k8s/observability: unexpected %s %s", obj.Kind, obj.Name)
			continue
		}
		maps[cm.Name] = cm
	}
	t.Logf("k8s/observability: %d ConfigMaps decoded strictly", len(maps))

	d := maps["conveyor-grafana-dashboards"]
	if d == nil {
		t.Fatal("no ConfigMap conveyor-grafana-dashboards")
	}
	if d.Labels["grafana_dashboard"] != "1" {
		t.Errorf("conveyor-grafana-dashboards: label grafana_dashboard=1 missing (Grafana's sidecar finds dashboards by it)")
	}
	for _, name := range dashboards {
		raw, ok := d.Data[name+".json"]
		if !ok {
			t.Errorf("conveyor-grafana-dashboards: no %s.json", name)
			continue
		}
		var dash struct {
			UID    string            `json:"uid"`
			Title  string            `json:"title"`
			Panels []json.RawMessage `json:"panels"`
		}
		if err := json.Unmarshal([]byte(raw), &dash); err != nil {
			t.Errorf("%s.json: %v", name, err)
			continue
		}
		if dash.UID == "" || dash.Title == "" || len(dash.Panels) == 0 {
			t.Errorf("%s.json: want a uid, a title and panels, got uid %q title %q and %d panels", name, dash.UID, dash.Title, len(dash.Panels))
		}
	}

	ds := maps["conveyor-grafana-datasource"]
	if ds == nil || ds.Labels["grafana_datasource"] != "1" {
		t.Fatal("no ConfigMap conveyor-grafana-datasource labelled grafana_datasource=1")
	}
	var provisioning struct {
		Datasources []struct {
			UID  string `json:"uid"`
			Type string `json:"type"`
		} `json:"datasources"`
	}
	if err := yaml.Unmarshal([]byte(ds.Data["conveyor-datasource.yaml"]), &provisioning); err != nil {
		t.Fatalf("conveyor-datasource.yaml: %v", err)
	}
	if len(provisioning.Datasources) != 1 || provisioning.Datasources[0].UID != "conveyor-prometheus" || provisioning.Datasources[0].Type != "prometheus" {
		t.Errorf("conveyor-datasource.yaml: want one prometheus datasource with uid conveyor-prometheus (the dashboards' datasource), got %+v", provisioning.Datasources)
	}

	rules := maps["conveyor-prometheus-rules"]
	if rules == nil || !strings.Contains(rules.Data["conveyor.rules.yml"], "alert: ConveyorServiceDown") {
		t.Error("no ConfigMap conveyor-prometheus-rules with conveyor.rules.yml")
	}

	scrape := maps["conveyor-prometheus-scrape"]
	if scrape == nil {
		t.Fatal("no ConfigMap conveyor-prometheus-scrape")
	}
	var cfg struct {
		ScrapeConfigs []struct {
			JobName string `json:"job_name"`
		} `json:"scrape_configs"`
	}
	if err := yaml.Unmarshal([]byte(scrape.Data["conveyor-scrape.yml"]), &cfg); err != nil {
		t.Fatalf("conveyor-scrape.yml: %v", err)
	}
	jobs := map[string]bool{}
	for _, c := range cfg.ScrapeConfigs {
		jobs[c.JobName] = true
	}
	for _, j := range []string{"conveyor", "rabbitmq", "rabbitmq-queues"} {
		if !jobs[j] {
			t.Errorf("conveyor-scrape.yml: no scrape job %s", j)
		}
	}
}
