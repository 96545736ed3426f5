// Small inputs of the console's forms: a text/number/select field and a checkbox bound to one key of a form's
// state, showing the client's or the API's message for the field the API would name.
import { useLayoutEffect, useState, type ReactNode, type RefObject } from "react";
import { ErrorMessage, Field, Loading } from "../lib/ui";

export interface Bind<S> {
  state: S;
  set(patch: Partial<S>): void;
  error(field: string): string | undefined; // the client's check, else the API's 422 for this field
}

type StringKeys<S> = { [K in keyof S]: S[K] extends string ? K : never }[keyof S];
type BoolKeys<S> = { [K in keyof S]: S[K] extends boolean ? K : never }[keyof S];

export function TextInput<S>({
  bind,
  name,
  field,
  label,
  hint,
  type = "text",
  inputMode,
  multiline,
  disabled,
  autoComplete = "off",
}: {
  bind: Bind<S>;
  name: StringKeys<S>;
  field: string;
  label: string;
  hint?: string;
  type?: string;
  inputMode?: "numeric" | "decimal" | "text";
  multiline?: boolean;
  disabled?: boolean;
  autoComplete?: string;
}) {
  const value = bind.state[name] as string;
  const change = (text: string) => bind.set({ [name]: text } as Partial<S>);
  return (
    <Field label={label} hint={hint} error={bind.error(field)}>
      {(props) =>
        multiline ? (
          <textarea {...props} value={value} rows={3} disabled={disabled} onChange={(e) => change(e.target.value)} />
        ) : (
          <input
            {...props}
            name={field}
            type={type}
            inputMode={inputMode}
            autoComplete={autoComplete}
            value={value}
            disabled={disabled}
            onChange={(e) => change(e.target.value)}
          />
        )
      }
    </Field>
  );
}

export function SelectInput<S>({
  bind,
  name,
  field,
  label,
  options,
  hint,
  disabled,
}: {
  bind: Bind<S>;
  name: StringKeys<S>;
  field: string;
  label: string;
  options: [string, string][]; // value, label
  hint?: string;
  disabled?: boolean;
}) {
  return (
    <Field label={label} hint={hint} error={bind.error(field)}>
      {(props) => (
        <select {...props} value={bind.state[name] as string} disabled={disabled} onChange={(e) => bind.set({ [name]: e.target.value } as Partial<S>)}>
          {options.map(([value, text]) => (
            <option key={value} value={value}>
              {text}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function Check<S>({ bind, name, field, label, disabled }: { bind: Bind<S>; name: BoolKeys<S>; field: string; label: string; disabled?: boolean }) {
  const error = bind.error(field);
  return (
    <div className={error ? "check invalid" : "check"}>
      <label>
        <input
          type="checkbox"
          checked={bind.state[name] as boolean}
          disabled={disabled}
          aria-invalid={Boolean(error)}
          onChange={(e) => bind.set({ [name]: e.target.checked } as Partial<S>)}
        />{" "}
        {label}
      </label>
      {error && (
        <small className="field-error" role="alert">
          {error}
        </small>
      )}
    </div>
  );
}

export function Section({ title, children, disabled }: { title: string; children: ReactNode; disabled?: boolean }) {
  return (
    <fieldset className="card form-section" disabled={disabled}>
      <legend>{title}</legend>
      {children}
    </fieldset>
  );
}

/** Whether the API's error is shown at one of the form's fields (it marks it aria-invalid); if not, the form
 * shows it above its fields. Read from the rendered form, so a field shown only for some choices counts
 * only when it is there. */
export function useErrorAtField(error: unknown, form: RefObject<HTMLElement | null>): boolean {
  const [atField, setAtField] = useState(false);
  useLayoutEffect(() => {
    setAtField(Boolean(error) && Boolean(form.current?.querySelector("[aria-invalid='true']")));
  }, [error, form]);
  return atField;
}

/** A loaded list's states: loading (the first time), its error with a retry, empty. */
export function ListStatus({ load, empty }: { load: { loading: boolean; error?: unknown; data?: { items: unknown[] }; reload(): void }; empty?: string }) {
  return (
    <>
      {load.loading && !load.data && <Loading />}
      {Boolean(load.error) && <ErrorMessage error={load.error} onRetry={load.reload} />}
      {empty && load.data?.items.length === 0 && <p>{empty}</p>}
    </>
  );
}

/** A table of rows with column headers (the last one, for the rows' buttons, named for screen readers only). */
export function DataTable({ headers, actions, children }: { headers: string[]; actions?: string; children: ReactNode }) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            {headers.map((header) => (
              <th scope="col" key={header}>
                {header}
              </th>
            ))}
            {actions && (
              <th scope="col">
                <span className="visually-hidden">{actions}</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
