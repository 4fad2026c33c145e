import { describe, expect, it } from 'vitest';
import { embedSnippet, embedUrl } from './embed';

describe('embedSnippet', () => {
  it('builds the iframe from the track URL', () => {
    expect(embedSnippet('https://sound.example/t/Ab3dEf9Z', 'Ab3dEf9Z', 'Song (live)')).toBe(
      '<iframe src="https://sound.example/embed/Ab3dEf9Z" width="100%" height="166" frameborder="0" allow="autoplay" title="Song (live)"></iframe>',
    );
  });

  it('keeps a hostile title inert', () => {
    const s = embedSnippet('http://127.0.0.1:8080/t/Ab3dEf9Z', 'Ab3dEf9Z', `"><script>alert('x')</script> & "quotes"`);
    expect(s).toBe(
      '<iframe src="http://127.0.0.1:8080/embed/Ab3dEf9Z" width="100%" height="166" frameborder="0" allow="autoplay" ' +
        'title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quotes&quot;"></iframe>',
    );
    expect(s).not.toContain('<script');
    // Exactly the quotes the snippet itself needs: 5 attribute values with a quote on each side.
    expect(s.split('"').length - 1).toBe(12);
  });

  it('uses only the origin of the track URL', () => {
    expect(embedUrl('http://127.0.0.1:8091/t/Ab3dEf9Z?x=1', 'Ab3dEf9Z')).toBe('http://127.0.0.1:8091/embed/Ab3dEf9Z');
  });
});
