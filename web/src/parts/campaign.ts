/**
 * The campaign pages' defaults when the URL gives none: the coverage year (the latest pack of the
 * area's region up to the year being collected for) and the date (today, or the window's end once
 * the window is over). The pure parts are in campaign-figures.ts.
 */
import { useMemo } from 'react';
import dayjs from 'dayjs';
import { coverageYearOf } from './campaign-figures';
import { useApi } from './useApi';

export * from './campaign-figures';

interface PackRow {
  id: string;
  region: string;
  year: number;
}
interface PackDetail {
  params: { key: string; value: unknown }[];
}

const today = (): string => dayjs().format('YYYY-MM-DD');

/** The coverage year and date to show when the URL gives none; undefined until known. */
export function useCampaignDefaults(
  region: string | undefined,
  year: number | undefined,
): { year: number | undefined; years: number[]; asOf: string | undefined; window: { from: string; to: string } | null; error: string | null } {
  const packs = useApi<PackRow[]>(region ? '/api/v1/packs' : null);
  const now = today();
  // the years with a pack: the region's own, else its prefecture's, its province's, the national one's
  const years = useMemo(() => {
    const all = packs.data ?? [];
    if (!region) return [];
    const chain = [region, `${region.slice(0, 4)}00`, `${region.slice(0, 2)}0000`, '000000'];
    return (chain.map((r) => all.filter((p) => p.region === r).map((p) => p.year)).find((y) => y.length) ?? []).sort((a, b) => a - b);
  }, [packs.data, region]);
  const chosen = useMemo(() => {
    if (year !== undefined) return year;
    const upTo = years.filter((y) => y <= coverageYearOf(now));
    const pick = upTo.length ? upTo : years;
    return pick.length ? Math.max(...pick) : undefined;
  }, [years, year, now]);
  const pack = useApi<PackDetail>(region && chosen !== undefined ? `/api/v1/packs/${region}/${chosen}` : null);
  const w = pack.data?.params.find((p) => p.key === 'enrollment.window')?.value as { from: string; to: string } | undefined;
  const asOf = w ? (now < w.to ? (now < w.from ? w.from : now) : w.to) : undefined;
  return { year: chosen, years, asOf, window: w ?? null, error: packs.error ?? pack.error };
}

