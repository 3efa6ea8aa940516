/** The settlement quote's form: the server's field path ("encounter.fees.0.amount") as the form's field (['fees', 0, 'amount']). */
export function formField(server: string): (string | number)[] | null {
  const p = server.split('.').map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  if (p[0] === 'encounter' && (p[1] === 'fees' || p[1] === 'costs')) return p.slice(1);
  if (p[0] === 'person' && p[1] === 'statuses') return ['statuses'];
  return p;
}
