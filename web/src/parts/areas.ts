/** The admin areas the user may see (GET /api/v1/areas), as tree options for a 乡镇/村 picker. */
import { useApi } from './useApi';

export interface Area {
  code: string;
  name: string;
  level: 'county' | 'township' | 'village';
  parentCode: string | null;
  region: string;
}

export interface AreaOption {
  value: string;
  title: string;
  children?: AreaOption[];
}

export function areaTree(areas: Area[]): AreaOption[] {
  const byParent = new Map<string | null, Area[]>();
  const codes = new Set(areas.map((a) => a.code));
  for (const a of areas) {
    const p = a.parentCode && codes.has(a.parentCode) ? a.parentCode : null;
    (byParent.get(p) ?? byParent.set(p, []).get(p)!).push(a);
  }
  const build = (p: string | null): AreaOption[] =>
    (byParent.get(p) ?? []).map((a) => {
      const kids = build(a.code);
      return { value: a.code, title: `${a.name}（${a.code}）`, ...(kids.length ? { children: kids } : {}) };
    });
  return build(null);
}

export function useAreas(): { areas: Area[]; names: Map<string, string>; error: string | null } {
  const { data, error } = useApi<Area[]>('/api/v1/areas');
  const areas = data ?? [];
  return { areas, names: new Map(areas.map((a) => [a.code, a.name])), error };
}
