export function ErrorLine(props: { error: string | undefined }) {
  if (!props.error) return null;
  return (
    <p role="alert" class="error">
      {props.error}
    </p>
  );
}

/** What a page says to a token without the scope it needs (the API would refuse it too). */
export function NeedsScope(props: { title: string; scope: string }) {
  return (
    <section>
      <h1>{props.title}</h1>
      <p class="error" role="alert">
        The {props.title.toLowerCase()} page needs a token with the {props.scope} scope.
      </p>
    </section>
  );
}
