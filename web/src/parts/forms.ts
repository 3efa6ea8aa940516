/** A server 400 shown at the form field it names (the form's fields by the request's names). */
import type { FormInstance } from 'antd';
import { ApiError } from '../api';

export function showAtField(form: FormInstance, e: unknown, fieldOf: (serverField: string) => (string | number)[] | null = (f) => [f]): boolean {
  if (!(e instanceof ApiError) || !e.field) return false;
  const name = fieldOf(e.field);
  if (!name) return false;
  try {
    if (form.getFieldInstance(name as never) === undefined && form.getFieldValue(name as never) === undefined) return false;
  } catch {
    return false;
  }
  form.setFields([{ name: name as never, errors: [e.message] }]);
  return true;
}
