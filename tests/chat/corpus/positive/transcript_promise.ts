// Loading the transcript when a persistent chat is resumed.
import "amazon-connect-chatjs";

interface Item { Content?: string; DisplayName?: string }

function toHtml(item: Item): string {
  return `<p><b>${item.DisplayName}</b>: ${item.Content}</p>`;
}

export function restore(session: any, list: HTMLElement): void {
  session
    .getTranscript({ maxResults: 50, sortOrder: "ASCENDING" })
    .then((response: any) => response.data.Transcript)
    .then((items: Item[]) => {
      items.forEach((item) => {
        list.innerHTML += toHtml(item); // expect: tainted-html-sink
      });
    });
}

export async function lastMessage(session: any, el: HTMLElement): Promise<void> {
  const { data } = await session.getTranscript({ maxResults: 1 });
  const last = data.Transcript[data.Transcript.length - 1] as Item;
  el.innerHTML = last.Content!; // expect: tainted-html-sink
}

export function preview(el: HTMLElement, html: string): void {
  const range = document.createRange();
  el.appendChild(range.createContextualFragment(html)); // expect: unsafe-html-sink
}
