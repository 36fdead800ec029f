import type { ThroughputPoint } from '../api';

const W = 720;
const H = 180;
const PAD = { left: 36, right: 8, top: 10, bottom: 24 };

/**
 * Jobs finished per minute over the last hour, as stacked bars: succeeded (blue) under failed
 * (red, hatched so it reads without colour). An SVG drawn here: no chart library needed for
 * sixty bars. The label summarises it for screen readers.
 */
export function ThroughputChart({ series }: { series: ThroughputPoint[] }) {
  const max = Math.max(1, ...series.map((p) => p.succeeded + p.failed));
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const bw = innerW / Math.max(1, series.length);
  const y = (v: number) => PAD.top + innerH - (v / max) * innerH;
  const ok = series.reduce((a, p) => a + p.succeeded, 0);
  const failed = series.reduce((a, p) => a + p.failed, 0);
  const ticks = [0, Math.round(max / 2), max].filter((v, i, a) => a.indexOf(v) === i);
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`Jobs finished per minute over the last hour: ${ok} succeeded, ${failed} failed; at most ${max} in one minute.`}
      >
        <defs>
          <pattern
            id="hatch"
            width="4"
            height="4"
            patternUnits="userSpaceOnUse"
            patternTransform="rotate(45)"
          >
            <rect width="4" height="4" fill="#b91c1c" />
            <line x1="0" y1="0" x2="0" y2="4" stroke="#fecaca" stroke-width="1.5" />
          </pattern>
        </defs>
        {ticks.map((t) => (
          <g key={t}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} class="grid" />
            <text x={PAD.left - 4} y={y(t) + 4} text-anchor="end" class="axis">
              {t}
            </text>
          </g>
        ))}
        {series.map((p, i) => {
          const x = PAD.left + i * bw + 1;
          const w = Math.max(1, bw - 2);
          return (
            <g key={p.at}>
              <rect
                x={x}
                y={y(p.succeeded)}
                width={w}
                height={innerH + PAD.top - y(p.succeeded)}
                class="bar-ok"
              />
              <rect
                x={x}
                y={y(p.succeeded + p.failed)}
                width={w}
                height={y(p.succeeded) - y(p.succeeded + p.failed)}
                fill="url(#hatch)"
              />
            </g>
          );
        })}
        <text x={PAD.left} y={H - 6} class="axis">
          60 min ago
        </text>
        <text x={W - PAD.right} y={H - 6} text-anchor="end" class="axis">
          now
        </text>
      </svg>
      <figcaption>
        <span class="key key-ok" aria-hidden="true" /> succeeded{' '}
        <span class="key key-failed" aria-hidden="true" /> failed
      </figcaption>
    </figure>
  );
}
