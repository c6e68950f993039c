"""Fail when a link inside a built HTML site points nowhere.

    python3 tools/check_html_links.py DIR

Every href and src of every .html file under DIR that is not an absolute URL
(scheme://, mailto:, data:) must name a file under DIR, and its #fragment, if any,
an id (or <a name>) in that file. External links are listed by count, not fetched.
"""
import html.parser
import os
import sys
import urllib.parse


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ('id', 'name') if tag == 'a' else ('id',):
            if attrs.get(name):
                self.ids.add(attrs[name])
        for name in ('href', 'src'):
            if attrs.get(name) is not None and not (tag == 'link' and attrs.get('rel') == 'canonical'):
                self.links.append(attrs[name])


def main(top):
    pages = {}
    for base, _dirs, files in os.walk(top):
        for name in files:
            if name.endswith('.html'):
                path = os.path.normpath(os.path.join(base, name))
                page = Page()
                with open(path, encoding='utf-8') as handle:
                    page.feed(handle.read())
                pages[path] = page
    broken, internal, external = [], 0, 0
    for path, page in sorted(pages.items()):
        for link in page.links:
            parts = urllib.parse.urlsplit(link)
            if parts.scheme or link.startswith('//'):
                external += 1
                continue
            internal += 1
            target = path if not parts.path else os.path.normpath(
                os.path.join(os.path.dirname(path), urllib.parse.unquote(parts.path)))
            if os.path.isdir(target):
                target = os.path.join(target, 'index.html')
            if not os.path.exists(target):
                broken.append('%s: %s (no file)' % (os.path.relpath(path, top), link))
            elif parts.fragment and target in pages and urllib.parse.unquote(parts.fragment) not in pages[target].ids:
                broken.append('%s: %s (no such anchor)' % (os.path.relpath(path, top), link))
    for line in broken:
        print('broken link: ' + line)
    print('%d pages, %d internal links (%d broken), %d external links (not fetched)'
          % (len(pages), internal, len(broken), external))
    return 1 if broken or not pages else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
