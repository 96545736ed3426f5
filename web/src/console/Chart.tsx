// A small grouped bar chart in SVG: one group per category (a day, a channel, a store), one bar per series.
// Screen readers get the chart's title and summary, and everyone can open the same numbers as a table.
import { useId } from "react";
import { addMessages, useLocale } from "../lib/i18n";
import { axis, scale } from "./chartScale";

addMessages({
  en: { "console.chart.table": "Show as a table", "console.chart.empty": "No figures in this range." },
  "zh-CN": { "console.chart.table": "以表格显示", "console.chart.empty": "此时间段内暂无数据。" },
});

export interface Series {
  name: string;
  values: number[];
  className: string; // its colour, from ops.css
}

const HEIGHT = 180;
const LEFT = 40;
const BOTTOM = 28;
const TOP = 8;

export function BarChart({ title, categories, series, labelOf = (c) => c }: { title: string; categories: string[]; series: Series[]; labelOf?: (category: string) => string }) {
  const { t, locale } = useLocale();
  const id = useId();
  const number = (n: number) => new Intl.NumberFormat(locale).format(n);
  const max = Math.max(0, ...series.flatMap((s) => s.values));
  const { top, ticks } = axis(max);
  const width = 480; // drawn to the card's width (viewBox)
  const group = Math.min(72, (width - LEFT - 8) / Math.max(1, categories.length));
  const gap = Math.min(8, group / 4);
  const bar = (group - gap) / series.length;
  const plot = HEIGHT - BOTTOM - TOP;
  const every = Math.ceil(categories.length / 7); // at most seven labels under the axis
  const summary = series.map((s) => `${s.name}: ${number(s.values.reduce((a, b) => a + b, 0))}`).join(", ");
  return (
    <figure className="chart">
      <figcaption id={`${id}-title`}>{title}</figcaption>
      <ul className="legend" aria-hidden="true">
        {series.map((s) => (
          <li key={s.name}>
            <span className={`swatch ${s.className}`} /> {s.name}
          </li>
        ))}
      </ul>
      {categories.length === 0 ? (
        <p>{t("console.chart.empty")}</p>
      ) : (
        <div className="chart-area">
          <svg role="img" aria-labelledby={`${id}-title ${id}-desc`} viewBox={`0 0 ${width} ${HEIGHT}`} preserveAspectRatio="xMinYMin meet">
            <desc id={`${id}-desc`}>{summary}</desc>
            {ticks.map((tick) => {
              const y = TOP + plot - scale(tick, top, plot);
              return (
                <g key={tick} className="tick">
                  <line x1={LEFT} x2={width} y1={y} y2={y} />
                  <text x={LEFT - 6} y={y + 4} textAnchor="end">
                    {number(tick)}
                  </text>
                </g>
              );
            })}
            {categories.map((category, i) => (
              <g key={category}>
                {series.map((s, j) => {
                  const h = scale(s.values[i] ?? 0, top, plot);
                  return (
                    <rect key={s.name} className={s.className} x={LEFT + i * group + gap / 2 + j * bar} y={TOP + plot - h} width={Math.max(1, bar - 0.5)} height={h}>
                      <title>{`${labelOf(category)} · ${s.name}: ${number(s.values[i] ?? 0)}`}</title>
                    </rect>
                  );
                })}
                {i % every === 0 && (
                  <text x={LEFT + i * group + group / 2} y={HEIGHT - 8} textAnchor="middle" className="category">
                    {labelOf(category)}
                  </text>
                )}
              </g>
            ))}
          </svg>
        </div>
      )}
      {categories.length > 0 && (
        <details>
          <summary>{t("console.chart.table")}</summary>
          <table>
            <thead>
              <tr>
                <th scope="col">{title}</th>
                {series.map((s) => (
                  <th key={s.name} scope="col">
                    {s.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {categories.map((category, i) => (
                <tr key={category}>
                  <th scope="row">{labelOf(category)}</th>
                  {series.map((s) => (
                    <td key={s.name}>{number(s.values[i] ?? 0)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </figure>
  );
}
